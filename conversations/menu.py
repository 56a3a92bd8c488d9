"""The resident's command menu and the main-menu buttons."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

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
    # Rows built directly: aiogram's builder copies its markup for each button it adds.
    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=MenuCb(action=action).pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("📝 Report an incident"), "report")],
            [button(_("🔎 Check a report"), "status")],
            [button(_("🆘 Emergency numbers"), "emergency"), button(_("ℹ️ Help"), "help")],
        ]
    )
