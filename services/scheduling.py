"""Work due at a time, as rows: the database is the single truth for everything scheduled.

Keys are deterministic ("escalate:42:3"), so scheduling the same step twice is a no-op and a
report's pending work can be found and cancelled. APScheduler only wakes the worker that claims
due rows (bot/jobs.py); a restart or outage delays a job, never loses it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob
from storage.repositories import scheduling as jobs_repo


async def schedule(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    report_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Schedule a job; False when a job with this key exists already."""
    values = {
        "key": key,
        "kind": kind,
        "due_at": due_at,
        "report_id": report_id,
        "payload": payload,
        "cancelled": False,
        "attempts": 0,
    }
    return await jobs_repo.insert_once(session, values)


async def cancel_for_report(session: AsyncSession, report_id: int, kind: str) -> None:
    await jobs_repo.cancel_for_report(session, report_id, kind)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[ScheduledJob]:
    """Due jobs nobody holds, oldest first; claimed for `lease` (a crashed worker's claim
    expires and another worker picks the job up)."""
    jobs = await jobs_repo.due_unclaimed(session, now=now, limit=limit)
    for job in jobs:
        job.claimed_until = now + lease
        job.attempts += 1
    return jobs


def finish(job: ScheduledJob, now: datetime) -> None:
    job.done_at = now
    job.claimed_until = None
