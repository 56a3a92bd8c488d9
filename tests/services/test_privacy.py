"""/hapusdata's rules, against a real database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.privacy import erase_personal_data
from storage.models import User, utcnow
from storage.repositories import Repo


async def test_staff_keep_their_role_residents_are_forgotten(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        session.add(User(id=1, role="officer", created_at=utcnow()))
        session.add(User(id=2, role="resident", language="en", consented_at=utcnow()))
    async with session_factory() as session, session.begin():
        await erase_personal_data(Repo.over(session), 1)
        await erase_personal_data(Repo.over(session), 2)
    async with session_factory() as session:
        officer = await session.get(User, 1)
        assert officer is not None and officer.role == "officer"
        assert await session.get(User, 2) is None
