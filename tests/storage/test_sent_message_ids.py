"""Ids of messages sent after an update's commit: stored together, and every sender waits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.sent_messages import SentMessagesMiddleware
from storage.identity import chat_key
from storage.models import ChatMessage
from tests.fixtures.commits import counted_commits

Sessions = async_sessionmaker[AsyncSession]
BOT = Bot("123456:emulated")


def sent(chat_id: int, message_id: int) -> Message:
    return Message(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=Chat(id=chat_id, type="private"),
        text="…",
    )


async def send(middleware: SentMessagesMiddleware, chat_id: int, message_id: int) -> Message:
    async def telegram(bot: Bot, method: SendMessage) -> Message:
        return sent(chat_id, message_id)

    method = SendMessage(chat_id=chat_id, text="…")
    result: Message = await middleware(telegram, BOT, method)  # type: ignore[arg-type]
    return result


async def stored(sessions: Sessions) -> set[tuple[int, int]]:
    """(chat, message id) pairs stored; rows name the chat by pseudonym (storage/identity)."""
    chats = {chat_key(chat): chat for chat in range(900, 1000)}
    async with sessions() as session:
        rows = await session.execute(select(ChatMessage.chat_key, ChatMessage.message_id))
        return {(chats[key], message_id) for key, message_id in rows}


async def test_replies_after_commits_are_stored_in_one_transaction(
    session_factory: Sessions,
) -> None:
    middleware = SentMessagesMiddleware(session_factory)
    with counted_commits(session_factory) as commits:
        await asyncio.gather(*(send(middleware, 900 + n, n + 1) for n in range(5)))
    # Every caller returned only once its id was stored, all five in one commit.
    assert await stored(session_factory) == {(900 + n, n + 1) for n in range(5)}
    assert commits[0] == 1
    await send(middleware, 905, 6)  # and the next reply is stored on its own
    assert (905, 6) in await stored(session_factory)


async def test_every_waiting_sender_hears_that_storing_failed(
    session_factory: Sessions,
) -> None:
    middleware = SentMessagesMiddleware(session_factory)
    engine = session_factory.kw["bind"].sync_engine

    def fail(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "chat_messages" in statement:
            raise OSError("disk I/O error")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        outcomes = await asyncio.gather(
            *(send(middleware, 910 + n, n + 1) for n in range(3)), return_exceptions=True
        )
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    # Not stuck: the next reply is stored.
    await send(middleware, 920, 1)
    assert await stored(session_factory) == {(920, 1)}
