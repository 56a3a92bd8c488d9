"""One-time officer invitations, found by the hash of their code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite


class InviteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        code_hash: str,
        kelurahan_id: int,
        created_by: int,
        created_at: datetime,
        expires_at: datetime,
    ) -> Invite:
        invite = Invite(
            code_hash=code_hash,
            kelurahan_id=kelurahan_id,
            created_by=created_by,
            created_at=created_at,
            expires_at=expires_at,
        )
        self._session.add(invite)
        await self._session.flush()
        return invite

    async def by_hash(self, code_hash: str) -> Invite | None:
        invite: Invite | None = await self._session.scalar(
            select(Invite).where(Invite.code_hash == code_hash)
        )
        return invite

    async def claim(self, invite_id: int, user_id: int, at: datetime) -> bool:
        """Mark the invite used by `user_id`; False when someone used it first.

        A conditional UPDATE rather than read-then-write: two people opening the same link at
        the same moment cannot both become officers.
        """
        result = await self._session.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None))
            .values(used_at=at, used_by=user_id)
        )
        return bool(getattr(result, "rowcount", 0))
