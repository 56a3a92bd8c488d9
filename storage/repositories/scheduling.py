"""Scheduled jobs (models.ScheduledJob): work due at a time, keyed so it is scheduled once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob
from storage.on_conflict import insert_or_skip


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert the job; False when a job with its key exists already."""
    statement = insert_or_skip(session, ScheduledJob, ("key",), returning=ScheduledJob.id)
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


async def uncancel(session: AsyncSession, key: str) -> None:
    """The job with this key runs after all (if it has not run yet)."""
    await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.key == key, ScheduledJob.done_at.is_(None))
        .values(cancelled=False)
    )


async def due_unclaimed(session: AsyncSession, *, now: datetime, limit: int) -> list[ScheduledJob]:
    """Due jobs nobody holds, oldest first; on PostgreSQL locked (rows another worker is
    claiming are skipped), so two workers never claim the same job."""
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
    return list(await session.scalars(query))
