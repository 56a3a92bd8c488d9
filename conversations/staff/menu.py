"""The command menu of one staff member's chat (setMyCommands with a chat scope).

Residents see the resident menu; an officer's chat also lists /piket and /kasus, a
coordinator's every command a coordinator may use (/piket only when they serve a kelurahan).
Cosmetic only: permissions never depend on it, so a failure to set it is logged and ignored
rather than failing the update that caused it. Inside an update it is set once the update has
committed: no menu for a role that was rolled back, and no write lock held while Telegram
makes the bot wait.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.i18n import lazy_gettext as __

from conversations.menu import RESIDENT_COMMANDS
from services.roles import COORDINATOR
from storage.session_context import once_committed

log = logging.getLogger(__name__)

PIKET = ("piket", __("Go on or off duty"))
OFFICER_COMMANDS = [
    PIKET,
    ("kasus", __("Open cases of my kelurahan")),
]
# Every command a coordinator may use (the routers' IsCoordinator filters, and /kasus, which
# shows a coordinator every open case); /piket too when they also serve a kelurahan.
COORDINATOR_COMMANDS = [
    ("kasus", __("All open cases")),
    ("undang", __("Invite an officer")),
    ("petugas", __("Manage officers")),
    ("jadwal", __("Duty roster")),
    ("siaran", __("Broadcast an awareness message")),
    ("statistik", __("Statistics and response times")),
    ("ekspor", __("Export cases (CSV/XLSX)")),
]


def staff_commands(role: str, *, serves: bool) -> list[BotCommand]:
    """The menu in the current language: staff commands first, then the resident's."""
    if role == COORDINATOR:
        entries = ([PIKET] if serves else []) + COORDINATOR_COMMANDS
    else:
        entries = list(OFFICER_COMMANDS)
    entries += RESIDENT_COMMANDS
    return [BotCommand(command=name, description=str(text)) for name, text in entries]


async def show_staff_menu(bot: Bot, chat_id: int, role: str, *, serves: bool) -> None:
    # Built now: the caller may have chosen the menu's language for this call only.
    commands = staff_commands(role, serves=serves)

    async def set_menu() -> None:
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
        except TelegramAPIError as exc:
            log.warning("could not set a staff menu: %s", type(exc).__name__)

    await once_committed(set_menu)


async def reset_menu(bot: Bot, chat_id: int) -> None:
    """Back to the resident menu everyone has."""

    async def reset() -> None:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
        except TelegramAPIError as exc:
            log.warning("could not reset a staff menu: %s", type(exc).__name__)

    await once_committed(reset)
