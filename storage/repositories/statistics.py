"""What the coordinators' statistics and officers' area counts read (services/statistics.py):
plain columns of reports, no personal data. A period is [start, end) of Report.created_at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AppSetting, Report, ReportStatusChange, User


def created_between(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """The reports made in [start, end) (also used by storage/repositories/export.py)."""
    return Report.created_at >= start, Report.created_at < end


async def case_rows(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    handling_statuses: Sequence[str],
    kelurahan_ids: Sequence[int] | None = None,
) -> Sequence[Row[Any]]:
    """Reports made in the period, oldest first (optionally of some kelurahan only): id,
    category, status, urgent, kelurahan_id, created_at, acknowledged_at, the first move to
    one of `handling_statuses` (naive on SQLite: min() loses the column type), closed_at,
    owner_id, child_role, recruitment, border."""
    handling = (
        select(
            ReportStatusChange.report_id.label("report_id"),
            func.min(ReportStatusChange.at).label("at"),
        )
        .where(ReportStatusChange.status.in_(handling_statuses))
        .group_by(ReportStatusChange.report_id)
        .subquery()
    )
    query = (
        select(
            Report.id,
            Report.category,
            Report.status,
            Report.urgent,
            Report.kelurahan_id,
            Report.created_at,
            Report.acknowledged_at,
            handling.c.at,
            Report.closed_at,
            Report.owner_id,
            Report.child_role,
            Report.recruitment,
            Report.border,
        )
        .outerjoin(handling, handling.c.report_id == Report.id)
        .where(*created_between(start, end))
        .order_by(Report.created_at, Report.id)
    )
    if kelurahan_ids is not None:
        query = query.where(Report.kelurahan_id.in_(list(kelurahan_ids)))
    return (await session.execute(query)).all()


async def count_made(session: AsyncSession, start: datetime, end: datetime) -> int:
    count = await session.scalar(select(func.count(Report.id)).where(*created_between(start, end)))
    return int(count or 0)


async def settings(session: AsyncSession, keys: Sequence[str]) -> dict[str, str]:
    """The stored app settings among `keys`, by key."""
    rows = await session.scalars(select(AppSetting).where(AppSetting.key.in_(keys)))
    return {row.key: row.value for row in rows}


async def users(session: AsyncSession, ids: Sequence[int]) -> list[User]:
    return list(await session.scalars(select(User).where(User.id.in_(ids))))


async def area_counts(
    session: AsyncSession,
    kelurahan_ids: Sequence[int] | None,
    open_statuses: Sequence[str],
    closed_since: datetime,
) -> tuple[int, int, int]:
    """Open cases, new ones, and those closed since `closed_since`; None means the whole city."""
    base = select(func.count()).select_from(Report)
    if kelurahan_ids is not None:
        base = base.where(Report.kelurahan_id.in_(list(kelurahan_ids)))
    open_count = await session.scalar(base.where(Report.status.in_(open_statuses)))
    new_count = await session.scalar(base.where(Report.status == "baru"))
    closed = await session.scalar(
        base.where(Report.closed_at.is_not(None), Report.closed_at >= closed_since)
    )
    return int(open_count or 0), int(new_count or 0), int(closed or 0)
