"""Remember the id of every message the bot sends into a private chat.

/hapus must be able to delete the bot's side of the conversation too (a phone shared with an
abuser is the case this exists for), and Telegram offers no way to list a chat's messages.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_transaction
from storage.repositories import Repo
from storage.session_context import current_session


class SentMessagesMiddleware(BaseRequestMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._after_commit = _RememberedTogether(session_factory)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if method.__api_method__.startswith("edit"):
            # The message was remembered when it was sent; an edit only costs a write (after
            # a Kirim, one more turn at SQLite's lock while alerts wait: README, "Benchmarks").
            return response
        # aiogram's annotation says Response, but the session hands back the bare result.
        messages = _private_messages(getattr(response, "result", response))
        if messages:
            await self._remember(messages)
        return response

    async def _remember(self, messages: list[Message]) -> None:
        ids = [(message.chat.id, message.message_id) for message in messages]
        session = current_session.get()
        if session is not None:
            # Inside an update: part of the update's transaction.
            await Repo.over(session).messages.remember_all(ids)
            return
        # A reply said after its update's commit (conversations answer after committing).
        await self._after_commit.remember(ids)


class _RememberedTogether:
    """Ids of messages sent after a commit, written for many replies in one transaction.

    Written one reply at a time, each reply was a write (a turn at SQLite's one write lock
    and a commit) of its own, after nearly every update. Each caller still waits until its
    ids are stored, so an update ends only with its messages remembered, and /hapus, which
    waits for the user's previous update, always finds them.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._pending: list[tuple[int, int]] = []
        self._stored: asyncio.Future[None] | None = None  # of the ids in _pending
        self._writer: asyncio.Task[None] | None = None

    async def remember(self, ids: list[tuple[int, int]]) -> None:
        self._pending.extend(ids)
        if self._stored is None:
            self._stored = asyncio.get_running_loop().create_future()
        stored = self._stored
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_while_pending())
        # Shielded: a caller cancelled must not cancel the write of everyone else's ids.
        await asyncio.shield(stored)

    async def _write_while_pending(self) -> None:
        try:
            while self._stored is not None:  # set with every id added
                ids, self._pending = self._pending, []
                stored, self._stored = self._stored, None
                try:
                    async with write_transaction(self._session_factory, short=True) as session:
                        await Repo.over(session).messages.remember_all(ids)
                except Exception as error:
                    stored.set_exception(error)
                    stored.exception()  # retrieved: each waiting caller raises it itself
                except BaseException:
                    stored.cancel()  # shutting down: the callers are not left waiting
                    raise
                else:
                    stored.set_result(None)
        finally:
            self._writer = None


def _private_messages(result: Any) -> list[Message]:
    items = result if isinstance(result, list) else [result]
    return [m for m in items if isinstance(m, Message) and m.chat.type == "private"]
