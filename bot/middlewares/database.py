"""One database session and one transaction per Telegram update.

Everything a handler does (the conversation draft through the FSM storage, the report, the
audit log, the ids of messages sent in reply) commits together or not at all. If a handler
fails, the rollback leaves a half-written report exactly as it was before the update.

An update from the inbox (bot/inbox.py) is marked handled in that same transaction, just
before its commit: handled and its effects are one fact, so no instance handles it again, and
a failure leaves it pending for the next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Chat, TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api_session import BotApiSession
from bot.inbox import InboxDelivery, UpdateTakenOver
from conversations.replies import Answer
from storage.db import write_turns
from storage.fsm_storage import known_row, storage_key
from storage.models import User
from storage.repositories import Repo
from storage.repositories import inbox as inbox_rows
from storage.repositories import outbox as outbox_rows
from storage.repositories.outbox import woken_lane
from storage.repositories.states import write_pending
from storage.session_context import AfterCommit, current_session, take_after_commit

log = logging.getLogger(__name__)


class DatabaseMiddleware(BaseMiddleware):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_outbox: Callable[[int], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._on_outbox = on_outbox

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        delivery: InboxDelivery | None = data.get("inbox")
        # On SQLite, updates and the sender take turns in arrival order (storage.db).
        async with (
            write_turns(self._session_factory, short=True),
            self._session_factory() as session,
        ):
            token = current_session.set(session)
            try:
                async with session.begin():
                    repo = Repo.over(session)
                    data["repo"] = repo
                    user = data.get("event_from_user")
                    if user is not None and not user.is_bot:
                        data["db_user"] = await _person(session, repo, user.id, data)
                    await _remember_incoming(repo, event, data.get("event_chat"))
                    result = await handler(event, data)
                    # The conversation's row and the replies, as the handler left them: one
                    # statement each, in this transaction (a handler that raised has nothing
                    # to write).
                    await write_pending(session)
                    await outbox_rows.write_held(session)
                    if delivery is not None:
                        await _mark_handled(session, delivery)
            except BaseException:
                # Rolled back: what was to follow the commit must not happen.
                take_after_commit(session)
                raise
            finally:
                current_session.reset(token)
        if delivery is not None:
            delivery.committed = True
        # Committed: messages queued by this update (an alert!) go out now, not at the next tick.
        lane = woken_lane(session)
        if lane is not None and self._on_outbox is not None:
            self._on_outbox(lane)
        failed: Exception | None = None
        for action in take_after_commit(session):
            try:
                await _said(action, data.get("bot"))
            except Exception as error:
                # The change is durable already; log only the type: the text may quote a user.
                log.warning("after-commit action failed: %s", type(error).__name__)
                failed = failed or error
        if failed is not None:
            # A reply that did not go out: the error handler tells the user, who would
            # otherwise wait for an answer that never comes.
            raise failed
        return result


async def _said(action: AfterCommit, bot: Bot | None) -> None:
    """What was to follow the commit. A button's answer goes as its JSON straight to the
    bot's transport (conversations.replies.Answer says why); one Telegram tells to wait (429)
    goes aiogram's way after all, whose RetryAfterMiddleware waits it out."""
    if isinstance(action, Answer) and bot is not None and isinstance(bot.session, BotApiSession):
        try:
            await bot.session.call_json(
                bot, AnswerCallbackQuery, action.params, patience=bot.session.timeout
            )
            return
        except TelegramBadRequest:
            return  # too old to answer: as Answer itself lets it go
        except TelegramRetryAfter:
            pass
    await action()


async def _person(
    session: AsyncSession, repo: Repo, telegram_id: int, data: dict[str, Any]
) -> User:
    """The update's person, read with its conversation's row when there is one (the FSM
    storage then finds the row read): one statement instead of two."""
    state_key: StorageKey | None = data.get("state_key")
    if state_key is None:
        return await repo.users.seen(telegram_id)
    fsm_key = storage_key(state_key)
    user, state = await repo.users.seen_with_state(telegram_id, fsm_key)
    if state is not None:
        known_row(session, fsm_key, state)
    return user


async def _mark_handled(session: AsyncSession, delivery: InboxDelivery) -> None:
    if not await inbox_rows.mark_done(session, delivery.row_id, done_at=delivery.done_at):
        delivery.taken_over = True
        raise UpdateTakenOver(f"update {delivery.update_id} was handled by another instance")


async def _remember_incoming(repo: Repo, event: TelegramObject, chat: Chat | None) -> None:
    """Keep the ids of the resident's own messages so /hapus can delete them too."""
    if not isinstance(event, Update) or event.message is None:
        return
    if chat is None or chat.type != "private":
        return
    await repo.messages.remember(chat.id, event.message.message_id)
