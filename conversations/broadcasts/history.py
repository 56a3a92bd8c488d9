"""The recent broadcasts with their counts (/siaran riwayat, or the 📜 button)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.broadcasts.callbacks import BroadcastCb, CancelBroadcastCb
from conversations.broadcasts.texts import history_line
from conversations.options import ConversationOptions
from conversations.staff.filters import IsCoordinator
from services import broadcasts
from services.broadcast_texts import cancel_button_text
from services.gazetteer import Gazetteer
from storage.repositories import Repo


async def show(
    bot: Bot, chat_id: int, repo: Repo, gazetteer: Gazetteer, options: ConversationOptions
) -> None:
    recent = await broadcasts.history(repo.session)
    if not recent:
        await replies.send(bot, chat_id, _("No broadcasts yet. Send /siaran to write one."))
        return
    now = options.clock.now()
    lines = [_("📜 <b>Recent broadcasts</b>"), ""]
    builder = InlineKeyboardBuilder()
    for broadcast, counts in recent:
        lines.append(history_line(gazetteer, broadcast, counts, now, options.timezone))
        if broadcast.status in (broadcasts.SCHEDULED, broadcasts.SENDING):
            builder.button(
                text=cancel_button_text(_, broadcast.id),
                callback_data=CancelBroadcastCb(id=broadcast.id),
            )
    builder.adjust(1)
    await replies.send(bot, chat_id, "\n".join(lines), reply_markup=builder.as_markup())


async def history_button(
    callback: CallbackQuery,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    await replies.answer(callback)
    await show(bot, callback.from_user.id, repo, gazetteer, options)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        history_button, BroadcastCb.filter(F.action == "hist"), IsCoordinator()
    )
    return router
