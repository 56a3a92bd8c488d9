"""What the coordinators' daily digest counts (services/digest.py): plain columns only, so
nothing encrypted is read (or decrypted) for a count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseNote, Kelurahan, Report, ReportStatusChange


async def last_activity(session: AsyncSession) -> dict[int, datetime]:
    """Per report, its last status change or note."""
    latest: dict[int, datetime] = {}
    for model in (ReportStatusChange, CaseNote):
        rows = await session.execute(
            select(model.report_id, func.max(model.at)).group_by(model.report_id)
        )
        for report_id, at in rows.tuples():
            if at is not None and (report_id not in latest or at > latest[report_id]):
                latest[report_id] = at
    return latest


async def reports_to_count(
    session: AsyncSession, now: datetime, since: datetime
) -> Sequence[Row[Any]]:
    """Reports open now or created, accepted or closed since `since`: (id, created_at,
    acknowledged_at, closed_at, owner_id, urgent, kecamatan_id, is_open) each."""
    open_ = Report.closed_at.is_(None) & (Report.status != "selesai")
    result = await session.execute(
        select(
            Report.id,
            Report.created_at,
            Report.acknowledged_at,
            Report.closed_at,
            Report.owner_id,
            Report.urgent,
            Kelurahan.kecamatan_id,
            open_,
        )
        .join(Kelurahan, Kelurahan.id == Report.kelurahan_id)
        .where(
            Report.created_at <= now,
            or_(
                open_,
                Report.created_at > since,
                Report.closed_at > since,
                Report.acknowledged_at > since,
            ),
        )
    )
    return result.all()
