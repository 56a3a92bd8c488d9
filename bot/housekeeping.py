"""Hourly housekeeping on the scheduler: what expires (message ids kept for /hapus, drafts
after DRAFT_TTL, what rows to residents said), RETENTION, and handled or parked updates in the
inbox; once a night, a SQLite file gets back the room that forgotten values left empty
(storage/compaction.py).

Every step is idempotent and cheap when there is nothing to do, so every instance runs them;
no coordination is needed. Hourly, because Telegram's 48-hour delete window makes message
ids useless within the hour they expire. The first run comes shortly after start-up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from services.clock import Clock
from services.retention import (
    anonymise_closed_cases,
    forget_old_updates,
    forget_what_expired,
)
from storage.compaction import compact

log = logging.getLogger(__name__)

INTERVAL = timedelta(hours=1)
FIRST_RUN_AFTER = timedelta(minutes=1)
# The local hour of the night in which the run also compacts a SQLite file (once a day: the
# run is hourly): writers wait for it (README, "Data lifecycle").
COMPACT_HOUR = 3


async def housekeeping(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    now = clock.now()
    try:
        expired = await forget_what_expired(
            session_factory,
            now=now,
            draft_ttl=settings.draft_ttl,
            lookup_window=settings.status_lookup_window,
        )
        if expired:
            log.info("housekeeping: %s rows expired", expired)
        purged = await forget_old_updates(session_factory, now=now)
        if purged:
            log.info("housekeeping: %s handled or parked updates left the inbox", purged)
        if settings.retention is not None:
            await anonymise_closed_cases(session_factory, now=now, retention=settings.retention)
        if now.astimezone(settings.timezone).hour == COMPACT_HOUR:
            await _compact(session_factory)
    except Exception:
        # Tomorrow's run tries again; nothing here is urgent enough to stop the bot.
        log.exception("housekeeping failed")


async def _compact(session_factory: async_sessionmaker[AsyncSession]) -> None:
    done = await compact(session_factory)
    if done is not None:
        log.info(
            "housekeeping: database file compacted, %.1f -> %.1f MB in %.1fs",
            done.bytes_before / 1e6,
            done.bytes_after / 1e6,
            done.seconds,
        )


def add_housekeeping(
    scheduler: AsyncIOScheduler,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    scheduler.add_job(
        housekeeping,
        "interval",
        seconds=INTERVAL.total_seconds(),
        args=(settings, session_factory, clock),
        id="housekeeping",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC) + FIRST_RUN_AFTER,
    )


__all__ = ["COMPACT_HOUR", "add_housekeeping", "housekeeping"]
