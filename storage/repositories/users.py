from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from storage.models import User, utcnow

# Built once (not on every update).
_SEEN = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(last_seen_at=bindparam("now"), blocked_at=None, unreachable_at=None)
    .returning(User)
)


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> User | None:
        return await self._session.get(User, user_id)

    async def seen(self, user_id: int, now: datetime | None = None) -> User:
        """Fetch the user, creating the row on first contact. Writing to us also means they
        no longer block the bot."""
        now = now or utcnow()
        known = self._session.identity_map.get(identity_key(User, user_id))
        if isinstance(known, User):
            known.last_seen_at = now
            known.blocked_at = None
            known.unreachable_at = None
            return known
        # Every update starts here: one UPDATE ... RETURNING rather than a read and a write.
        user: User | None = await self._session.scalar(_SEEN, {"user_id": user_id, "now": now})
        if user is None:
            user = User(id=user_id, role="resident", created_at=now, last_seen_at=now)
            self._session.add(user)
            await self._session.flush()
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
