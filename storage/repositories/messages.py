from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatMessage, utcnow
from storage.on_conflict import insert_or_skip

# Telegram lets a bot delete messages in a private chat only within 48 hours.
DELETE_WINDOW = timedelta(hours=48)


class ChatMessageRepo:
    """Message ids of a private chat, kept only as long as /hapus can still delete them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, chat_id: int, message_id: int, at: datetime | None = None) -> None:
        await self.remember_all([(chat_id, message_id)], at)

    async def remember_all(self, ids: list[tuple[int, int]], at: datetime | None = None) -> None:
        """(chat id, message id) pairs, in one statement."""
        if not ids:
            return
        when = at or utcnow()
        # Edits and retries report the same id again: ignore duplicates instead of failing the
        # update's transaction.
        statement = insert_or_skip(self._session, ChatMessage, ("chat_id", "message_id"))
        await self._session.execute(
            statement,
            [
                {"chat_id": chat_id, "message_id": message_id, "at": when}
                for chat_id, message_id in ids
            ],
        )

    async def deletable(self, chat_id: int, now: datetime | None = None) -> list[int]:
        since = (now or utcnow()) - DELETE_WINDOW
        rows = await self._session.scalars(
            select(ChatMessage.message_id)
            .where(ChatMessage.chat_id == chat_id, ChatMessage.at > since)
            .order_by(ChatMessage.message_id)
        )
        return list(dict.fromkeys(rows))

    async def forget_chat(self, chat_id: int) -> None:
        await self._session.execute(delete(ChatMessage).where(ChatMessage.chat_id == chat_id))

    async def prune(self, now: datetime | None = None) -> int:
        since = (now or utcnow()) - DELETE_WINDOW
        result = await self._session.execute(delete(ChatMessage).where(ChatMessage.at <= since))
        return int(getattr(result, "rowcount", 0) or 0)
