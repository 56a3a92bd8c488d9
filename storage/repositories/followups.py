"""Follow-ups with the reporter (services/followups.py): their rounds and the report's marks.

The marks on the report are bookkeeping, not news about the case: updated_at stays, so
/status keeps showing the last real update."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, Report, ScheduledJob


async def _mark(session: AsyncSession, report_id: int, **values: Any) -> None:
    await session.execute(
        update(Report)
        .where(Report.id == report_id)
        .values(**values, updated_at=Report.updated_at)
        .execution_options(synchronize_session=False)
    )


async def mark_stopped(session: AsyncSession, report_id: int) -> None:
    await _mark(session, report_id, followups_stopped=True)


async def mark_sent(session: AsyncSession, report_id: int, now: datetime) -> None:
    await _mark(session, report_id, last_followup_at=now)


async def mark_urgent(session: AsyncSession, report_id: int) -> None:
    await _mark(session, report_id, urgent=True)


async def mark_escalated(session: AsyncSession, report_id: int, level: int) -> None:
    await _mark(session, report_id, escalation_level=level)


async def cancel_queued(session: AsyncSession, report_id: int, kind: str) -> None:
    """Check-ins of the report still queued and unclaimed are not sent."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.report_id == report_id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == "pending",
            OutboxMessage.claimed_until.is_(None),
        )
        .values(status="cancelled")
    )


async def rounds_locked(session: AsyncSession, report_id: int, kind: str) -> list[ScheduledJob]:
    """The report's follow-up jobs, locked: two presses at once (two instances) are answered
    one after the other on PostgreSQL; SQLite lets one writer at a time anyway."""
    rows = await session.scalars(
        select(ScheduledJob)
        .where(ScheduledJob.report_id == report_id, ScheduledJob.kind == kind)
        .with_for_update()
    )
    return list(rows)
