from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User, utcnow


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)

    async def seen(self, user_id: int, now: datetime | None = None) -> User:
        """Fetch the user, creating the row on first contact."""
        now = now or utcnow()
        user = await self._session.get(User, user_id)
        if user is None:
            user = User(id=user_id, role="resident", created_at=now, last_seen_at=now)
            self._session.add(user)
            await self._session.flush()
        else:
            user.last_seen_at = now
            user.blocked_at = None
            # Writing to us means they no longer block the bot.
            user.unreachable_at = None
        return user

    async def set_language(self, user_id: int, language: str) -> None:
        user = await self.seen(user_id)
        user.language = language

    async def give_consent(self, user_id: int, now: datetime | None = None) -> None:
        user = await self.seen(user_id)
        user.consented_at = now or utcnow()

    async def delete(self, user_id: int) -> None:
        await self._session.execute(delete(User).where(User.id == user_id))

    async def ids_with_role(self, role: str) -> list[int]:
        rows = await self._session.scalars(select(User.id).where(User.role == role))
        return list(rows)
