"""Cancelling a scheduled or running broadcast (the 🛑 button on its messages and history).

Any coordinator may cancel any broadcast: stopping a wrong message must not wait for the one
person who wrote it. Rows already sent stay sent; the rest are taken back.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.broadcasts.callbacks import CancelBroadcastCb
from conversations.options import ConversationOptions
from conversations.staff.filters import IsCoordinator
from services import broadcasts
from services.broadcast_texts import cancelled_text, finished_text
from storage.repositories import Repo


async def cancel_broadcast(
    callback: CallbackQuery,
    callback_data: CancelBroadcastCb,
    bot: Bot,
    repo: Repo,
    options: ConversationOptions,
) -> None:
    broadcast_id = callback_data.id
    result = await broadcasts.cancel(
        repo.session, broadcast_id, actor_id=callback.from_user.id, now=options.clock.now()
    )
    if result.outcome == "not_found":
        await replies.answer(callback, _("This button is no longer active."))
        return
    if result.outcome == "already_cancelled":
        await replies.answer(
            callback,
            _("Broadcast #{id} was already cancelled.").format(id=broadcast_id),
            show_alert=True,
        )
        return
    if result.outcome == "already_finished":
        await replies.answer(
            callback,
            _("Broadcast #{id} has already finished: there is nothing left to cancel.").format(
                id=broadcast_id
            ),
            show_alert=True,
        )
        await replies.send(
            bot, callback.from_user.id, finished_text(_, broadcast_id, result.counts)
        )
        return
    if result.outcome == "discarded":
        await replies.answer(callback, _("Broadcast discarded. Nothing was sent."))
        return
    await replies.answer(callback, _("Broadcast #{id} cancelled.").format(id=broadcast_id))
    # The button has done its work; the progress message gets its final text later.
    await replies.edit_markup(callback, bot, None)
    await replies.send(bot, callback.from_user.id, cancelled_text(_, broadcast_id, result.counts))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(cancel_broadcast, CancelBroadcastCb.filter(), IsCoordinator())
    return router
