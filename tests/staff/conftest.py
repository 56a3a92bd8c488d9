"""Fixtures for the staff tests: a seeded database for the services, a brisk emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Router
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import conversations
from conversations import staff
from services.gazetteer import Gazetteer, KelurahanEntry
from services.gazetteer_loader import load_gazetteer
from storage.gazetteer_seed import read_gazetteer_file, seed_gazetteer
from storage.models import User
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)


@pytest.fixture
async def gazetteer(session_factory: async_sessionmaker[AsyncSession]) -> Gazetteer:
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session)
    async with session_factory() as session:
        return await load_gazetteer(session)


@pytest.fixture
async def session(
    session_factory: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> AsyncIterator[AsyncSession]:
    """One session on the seeded database, in a transaction rolled back at the end."""
    async with session_factory() as opened, opened.begin():
        yield opened
        await opened.rollback()


def file_gazetteer() -> Gazetteer:
    """The shipped gazetteer with made-up ids: for parsing tests that need no database."""
    data = []
    for number, kecamatan in enumerate(read_gazetteer_file().kecamatan, start=1):
        item = kecamatan.model_dump()
        item["id"] = number
        for position, entry in enumerate(item["kelurahan"], start=1):
            entry["id"] = number * 100 + position
        data.append(item)
    return Gazetteer.from_data(data)


def kelurahan(gazetteer: Gazetteer, name: str) -> KelurahanEntry:
    [entry] = [k for kec in gazetteer.kecamatan_list() for k in kec.kelurahan if k.name == name]
    return entry


async def add_user(session: AsyncSession, user_id: int, role: str = "resident") -> User:
    user = User(id=user_id, role=role)
    session.add(user)
    await session.flush()
    return user


@pytest.fixture(autouse=True)
def staff_router_included(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until conversations/__init__.py includes the staff router, put it in front here, where
    the lead will put it: before conversations.common (the invitation's /start first)."""
    original = conversations.setup
    if _has_router(original(), staff.__name__):
        return

    def with_staff() -> Router:
        router = Router(name="conversations-with-staff")
        router.include_routers(staff.setup(), original())
        return router

    monkeypatch.setattr(conversations, "setup", with_staff)


def _has_router(router: Router, name: str) -> bool:
    return router.name == name or any(_has_router(sub, name) for sub in router.sub_routers)
