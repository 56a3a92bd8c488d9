"""What the operations endpoint (bot/ops.py) reads: the database's health and the figures
behind its metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Report


async def ping(connection: AsyncConnection) -> None:
    """Raises unless the database answers."""
    await connection.execute(text("SELECT 1"))


async def unacknowledged_count(session: AsyncSession, open_statuses: Sequence[str]) -> int:
    """Open reports nobody accepted yet."""
    count = await session.scalar(
        select(func.count())
        .select_from(Report)
        .where(
            Report.acknowledged_at.is_(None),
            Report.closed_at.is_(None),
            Report.status.in_(open_statuses),
        )
    )
    return int(count or 0)


async def acknowledged_since(session: AsyncSession, since: datetime) -> list[float]:
    """Seconds from report to acceptance of the reports accepted since `since`."""
    rows = await session.execute(
        select(Report.created_at, Report.acknowledged_at).where(
            Report.acknowledged_at.is_not(None), Report.acknowledged_at >= since
        )
    )
    return [
        max((acked - created).total_seconds(), 0.0) for created, acked in rows if acked is not None
    ]
