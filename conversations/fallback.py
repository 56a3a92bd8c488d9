"""Whatever no other handler took. Must be included last."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import ReportCb
from conversations.filters import PRIVATE_CHAT
from conversations.menu import main_menu


async def finished_report_button(callback: CallbackQuery) -> None:
    """A report button pressed after the report was sent or cancelled (or a forged one)."""
    await replies.answer(
        callback,
        _("This report is no longer open (it was sent or cancelled). Start a new one with /lapor."),
        show_alert=True,
    )


async def stale_button(callback: CallbackQuery) -> None:
    await replies.answer(callback, _("This button is no longer active."))


async def anything_else(message: Message) -> None:
    await replies.reply(
        message,
        _("I didn't understand that. Choose what you would like to do:"),
        reply_markup=main_menu(),
    )


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(finished_report_button, ReportCb.filter())
    router.callback_query.register(stale_button)
    router.message.register(anything_else, PRIVATE_CHAT)
    return router
