"""Open on a discreet notice (services/notices.py): the reporter sees what it is about.

The neutral message turns into the status update or the officer's words (with Reply) in
place. A press from any other chat, forged with another id, or after /hapusdata gets "no
longer active" and nothing else.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from conversations import replies
from services import notices
from storage.repositories import Repo


class NoticeCb(CallbackData, prefix=notices.PREFIX):
    """Built as a plain string by services/notices.py (`pack`); a test keeps both in step."""

    id: int


async def open_notice(
    callback: CallbackQuery, callback_data: NoticeCb, bot: Bot, repo: Repo
) -> None:
    _report, content = await notices.open_notice(
        repo.session, callback_data.id, callback.from_user.id
    )
    if content is None:
        await replies.answer(callback, _("This button is no longer active."), show_alert=True)
        return
    await replies.answer(callback)
    markup = content.get("reply_markup")
    keyboard = InlineKeyboardMarkup.model_validate(markup) if markup else None
    await replies.replace_screen(callback, bot, str(content.get("text", "")), keyboard)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(open_notice, NoticeCb.filter())
    return router
