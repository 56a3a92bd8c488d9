"""APScheduler as the clock only: periodic ticks that wake the workers.

No APScheduler job store: what must happen is already a row (outbox, scheduled_jobs), so the
in-memory scheduler can be rebuilt at every start without losing anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler


def create_scheduler(
    ticks: list[tuple[str, float, Callable[[], Awaitable[object]]]],
) -> AsyncIOScheduler:
    """One interval job per (name, seconds, coroutine function); ids are the names."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, seconds, tick in ticks:
        scheduler.add_job(
            tick,
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    return scheduler
