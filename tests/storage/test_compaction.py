"""The night's housekeeping gives a SQLite file back the room that forgotten values leave
empty (storage/compaction.py), and changes nothing else.

A broadcast is where that room comes from: its rows are queued together, then sent and
forgotten one by one, and new rows only ever go at the table's end.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.housekeeping import COMPACT_HOUR, housekeeping
from playground.emulator import BotAPIEmulator
from services import outbox
from services.clock import ManualClock
from storage.models import Base, OutboxMessage
from storage.repositories import outbox as outbox_rows
from tests.fixtures.bot import RunningBot, make_settings
from tests.fixtures.database import MigratedTemplates

Sessions = async_sessionmaker[AsyncSession]
RECIPIENTS = 300
# About as long as a broadcast's text.
TEXT = "Kenali tanda kekerasan pada anak dan laporkan. " * 12


@pytest.fixture
async def sqlite_file(tmp_path: Path, migrated_templates: MigratedTemplates) -> Path:
    path = tmp_path / "compaction.sqlite3"
    path.write_bytes((await migrated_templates.sqlite()).read_bytes())
    return path


@pytest.fixture
def settings(emulator: BotAPIEmulator, sqlite_file: Path) -> Settings:
    return make_settings(emulator, f"sqlite+aiosqlite:///{sqlite_file}")


@pytest.fixture
def clock() -> ManualClock:
    """Half an hour before the night's compaction, in the city's time."""
    night = datetime(2026, 3, 2, COMPACT_HOUR - 1, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    return ManualClock(night.astimezone(UTC))


def file_size(path: Path) -> int:
    """The file as a backup would copy it: with the WAL folded back in."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


async def every_count(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def broadcast_sent(sessions: Sessions, now: datetime) -> None:
    """A broadcast to residents, queued and delivered: each row forgets what it said and to
    whom (storage/repositories/outbox.py, mark_sent). In one transaction, so that the bot's
    sender never sees the rows pending (the chats are unknown to the emulator)."""
    async with sessions() as session, session.begin():
        queued = [
            await outbox.enqueue(
                session,
                chat_id=7_300_001 + n,
                payload=outbox.message(TEXT),
                kind="broadcast",
                lane=outbox.Lane.BROADCAST,
                dedupe_key=f"broadcast:1:{n}",
            )
            for n in range(RECIPIENTS)
        ]
        for row_id in queued:
            assert row_id is not None
            assert await outbox_rows.mark_sent(session, [(row_id, now, 100 + row_id)])


async def test_the_night_run_compacts_the_file_of_a_running_bot_and_keeps_every_row(
    emulator: BotAPIEmulator, clocked_bot: RunningBot, sqlite_file: Path, clock: ManualClock
) -> None:
    sessions, settings = clocked_bot.service.session_factory, clocked_bot.service.settings
    resident = emulator.user(7_399_001)
    await resident.send_command("/start")
    consent = await resident.wait_for("Apakah Anda setuju")
    await resident.wait_idle()
    await broadcast_sent(sessions, clock.now())
    counts, size = await every_count(sessions), file_size(sqlite_file)

    # The run before the compaction hour leaves the file as it is.
    await housekeeping(settings, sessions, clock)
    assert file_size(sqlite_file) == size

    clock.advance(timedelta(hours=1))
    await housekeeping(settings, sessions, clock)
    compacted = file_size(sqlite_file)
    assert compacted < size * 0.6, (size, compacted)
    assert await every_count(sessions) == counts
    async with sessions() as session:
        sent = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "broadcast"))
        ).all()
    assert len(sent) == RECIPIENTS and {row.status for row in sent} == {"sent"}
    assert {row.result_message_id for row in sent} == {100 + row.id for row in sent}

    # The resident's conversation goes on where it was.
    await resident.press("✅ Saya setuju", consent)
    await resident.wait_for("Apa yang ingin Anda lakukan?")
