from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.identity import chat_key, hour
from storage.models import ChatMessage, utcnow
from storage.on_conflict import insert_or_skip

# Telegram lets a bot delete messages in a private chat only within 48 hours.
DELETE_WINDOW = timedelta(hours=48)
# Times are kept to the hour (storage/identity.hour): a message of 10:59 counts from 10:00,
# so it is forgotten up to an hour before Telegram would refuse to delete it.
_KEPT_FOR = DELETE_WINDOW - timedelta(hours=1)


class ChatMessageRepo:
    """Message ids of a private chat, kept only as long as /hapus can still delete them.

    Callers give the chat's Telegram id; rows name it by pseudonym (storage/identity.py)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, chat_id: int, message_id: int, at: datetime | None = None) -> None:
        await self.remember_all([(chat_id, message_id)], at)

    async def remember_all(self, ids: list[tuple[int, int]], at: datetime | None = None) -> None:
        """(chat id, message id) pairs, in one statement."""
        if not ids:
            return
        when = hour(at or utcnow())
        # Edits and retries report the same id again: ignore duplicates instead of failing the
        # update's transaction.
        statement = insert_or_skip(self._session, ChatMessage, ("chat_key", "message_id"))
        await self._session.execute(
            statement,
            [
                {"chat_key": chat_key(chat_id), "message_id": message_id, "at": when}
                for chat_id, message_id in ids
            ],
        )

    async def deletable(self, chat_id: int, now: datetime | None = None) -> list[int]:
        since = (now or utcnow()) - _KEPT_FOR
        rows = await self._session.scalars(
            select(ChatMessage.message_id)
            .where(ChatMessage.chat_key == chat_key(chat_id), ChatMessage.at >= hour(since))
            .order_by(ChatMessage.message_id)
        )
        return list(dict.fromkeys(rows))

    async def forget_chat(self, chat_id: int) -> None:
        await self._session.execute(
            delete(ChatMessage).where(ChatMessage.chat_key == chat_key(chat_id))
        )

    async def prune(self, now: datetime | None = None) -> int:
        since = (now or utcnow()) - _KEPT_FOR
        result = await self._session.execute(
            delete(ChatMessage).where(ChatMessage.at < hour(since))
        )
        return int(getattr(result, "rowcount", 0) or 0)
