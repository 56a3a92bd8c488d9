"""Work due at a time, as rows: the database is the single truth for everything scheduled.

Keys are deterministic ("escalate:42:3"), so scheduling the same step twice is a no-op and a
report's pending work can be found and cancelled. APScheduler only wakes the worker that claims
due rows (bot/jobs.py); a restart or outage delays a job, never loses it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob
from storage.on_conflict import insert_or_skip


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
    statement = insert_or_skip(session, ScheduledJob, ("key",), returning=ScheduledJob.id)
    values = {
        "key": key,
        "kind": kind,
        "due_at": due_at,
        "report_id": report_id,
        "payload": payload,
        "cancelled": False,
        "attempts": 0,
    }
    return (await session.scalar(statement, values)) is not None


async def cancel_for_report(session: AsyncSession, report_id: int, kind: str) -> None:
    await session.execute(
        update(ScheduledJob)
        .where(
            ScheduledJob.report_id == report_id,
            ScheduledJob.kind == kind,
            ScheduledJob.done_at.is_(None),
        )
        .values(cancelled=True)
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[ScheduledJob]:
    """Due jobs nobody holds, oldest first; claimed for `lease` (a crashed worker's claim
    expires and another worker picks the job up)."""
    query = (
        select(ScheduledJob)
        .where(
            ScheduledJob.done_at.is_(None),
            ScheduledJob.cancelled.is_(False),
            ScheduledJob.due_at <= now,
            or_(ScheduledJob.claimed_until.is_(None), ScheduledJob.claimed_until < now),
        )
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(await session.scalars(query))
    for job in jobs:
        job.claimed_until = now + lease
        job.attempts += 1
    return jobs


def finish(job: ScheduledJob, now: datetime) -> None:
    job.done_at = now
    job.claimed_until = None
