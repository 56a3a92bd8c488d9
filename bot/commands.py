"""The command menus: the resident's, registered once per language
(`setMyCommands(language_code=...)`), and each staff member's own chat menu at start-up.

The command names are Indonesian in every language (they are the contract residents learn
from posters); only their descriptions are translated.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations.menu import RESIDENT_COMMANDS
from conversations.staff.menu import show_staff_menu
from services.roles import COORDINATOR, OFFICER, officer_kelurahan_ids
from storage.models import User
from storage.repositories.staff import StaffRepo

log = logging.getLogger(__name__)


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


def staff_menus_at_startup(
    session_factory: async_sessionmaker[AsyncSession],
) -> Callable[[Bot, I18n], Awaitable[None]]:
    """A start-up handler giving every officer and coordinator the staff menu in their chat,
    in their language.

    Those invited or promoted in the chat get it there; coordinators from COORDINATOR_IDS or
    `python -m bot coordinator add`, and officers written by other means (the demo's seed, a
    restored database), would otherwise never get one and would see only the resident's
    commands. Cosmetic only: a failure is logged and start-up goes on.
    """

    async def register_staff_menus(bot: Bot, i18n: I18n) -> None:
        try:
            menus = await _staff_menus(session_factory)
        except Exception as exc:
            log.warning("could not read the staff for their menus: %s", type(exc).__name__)
            return
        for user_id, role, language, serves in menus:
            try:
                with i18n.context(), i18n.use_locale(language or i18n.default_locale):
                    # Logs and swallows Telegram's refusals (e.g. a chat the bot never saw).
                    await show_staff_menu(bot, user_id, role, serves=serves)
            except Exception as exc:
                log.warning("could not set a staff menu: %s", type(exc).__name__)

    return register_staff_menus


async def _staff_menus(
    session_factory: async_sessionmaker[AsyncSession],
) -> list[tuple[int, str, str | None, bool]]:
    """(user id, role, saved language, serves a kelurahan) of every coordinator and officer."""
    menus = []
    async with session_factory() as session:
        for role in (COORDINATOR, OFFICER):
            for user_id in await StaffRepo(session).ids_with_role(role):
                user = await session.get(User, user_id)
                language = user.language if user is not None else None
                serves = bool(await officer_kelurahan_ids(session, user_id))
                menus.append((user_id, role, language, serves))
    return menus
