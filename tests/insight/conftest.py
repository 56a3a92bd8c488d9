"""Fixtures for the insight tests: a brisk emulator, the bot, a seeded database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gazetteer import Gazetteer
from services.gazetteer_loader import load_gazetteer
from storage.gazetteer_seed import seed_gazetteer


@pytest.fixture(autouse=True)
def conversational_pace(request: pytest.FixtureRequest) -> None:
    """Tests act as fast as the bot answers, and /statistik sends a text and two photos at
    once; the strict per-chat limit has tests of its own in tests/conversations."""
    if "emulator" not in request.fixturenames:
        return
    emulator = request.getfixturevalue("emulator")
    emulator.rate_limits.per_chat_per_second = 20
    emulator.rate_limits.per_chat_burst = 20


@pytest.fixture
async def gazetteer(session_factory: async_sessionmaker[AsyncSession]) -> Gazetteer:
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session)
    async with session_factory() as session:
        return await load_gazetteer(session)
