"""The command menu, registered once per language (`setMyCommands(language_code=...)`).

The command names are Indonesian in every language (they are the contract residents learn
from posters); only their descriptions are translated.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from conversations.menu import RESIDENT_COMMANDS


def _commands(i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [
            BotCommand(command=name, description=str(description))
            for name, description in RESIDENT_COMMANDS
        ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    # The default list (no language_code) is Indonesian: Telegram shows it to everyone whose
    # app language has no list of its own.
    await bot.set_my_commands(_commands(i18n, "id"))
    for locale in i18n.available_locales:
        await bot.set_my_commands(_commands(i18n, locale), language_code=locale)
