"""Fixtures for the insight tests: a brisk emulator, the bot, a seeded database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gazetteer import Gazetteer
from services.gazetteer_loader import load_gazetteer
from storage.gazetteer_seed import seed_gazetteer
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)


@pytest.fixture
async def gazetteer(session_factory: async_sessionmaker[AsyncSession]) -> Gazetteer:
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session)
    async with session_factory() as session:
        return await load_gazetteer(session)
