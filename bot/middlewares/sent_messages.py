"""Remember the id of every message the bot sends into a private chat.

/hapus must be able to delete the bot's side of the conversation too (a phone shared with an
abuser is the case this exists for), and Telegram offers no way to list a chat's messages.
"""

from __future__ import annotations

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
        self._session_factory = session_factory

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if method.__api_method__.startswith("edit"):
            # The message was remembered when it was sent; an edit only costs a write (after
            # a Kirim, one more turn at SQLite's lock while alerts wait: bench/, figure 2).
            return response
        # aiogram's annotation says Response, but the session hands back the bare result.
        messages = _private_messages(getattr(response, "result", response))
        if messages:
            await self._remember(messages)
        return response

    async def _remember(self, messages: list[Message]) -> None:
        session = current_session.get()
        if session is not None:
            # Inside an update: part of the update's transaction.
            repo = Repo.over(session)
            for message in messages:
                await repo.messages.remember(message.chat.id, message.message_id)
            return
        # After a commit (a Kirim's summary losing its buttons): a writer of its own.
        async with write_transaction(self._session_factory) as own:
            repo = Repo.over(own)
            for message in messages:
                await repo.messages.remember(message.chat.id, message.message_id)


def _private_messages(result: Any) -> list[Message]:
    items = result if isinstance(result, list) else [result]
    return [m for m in items if isinstance(m, Message) and m.chat.type == "private"]
