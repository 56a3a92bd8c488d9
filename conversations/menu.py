"""The resident's command menu and the main-menu buttons."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations.callbacks import MenuCb

RESIDENT_COMMANDS = [
    ("start", __("Start and main menu")),
    ("lapor", __("Report an incident")),
    ("status", __("Check a report with its code")),
    ("darurat", __("Emergency numbers")),
    ("batal", __("Cancel what you are doing")),
    ("hapus", __("Delete this chat's messages")),
    ("bahasa", __("Change language")),
    ("langganan", __("Subscribe to awareness messages")),
    ("berhenti", __("Stop awareness messages")),
    ("privasi", __("How your data is protected")),
    ("hapusdata", __("Erase your personal data")),
    ("bantuan", __("Help")),
]


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📝 Report an incident"), callback_data=MenuCb(action="report"))
    builder.button(text=_("🔎 Check a report"), callback_data=MenuCb(action="status"))
    builder.button(text=_("🆘 Emergency numbers"), callback_data=MenuCb(action="emergency"))
    builder.button(text=_("ℹ️ Help"), callback_data=MenuCb(action="help"))
    builder.adjust(1, 1, 2)
    return builder.as_markup()
