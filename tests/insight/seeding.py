"""Reports with known timestamps, written straight into the database."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Kelurahan, OfficerArea, Report, ReportStatusChange, User, utcnow

_codes = itertools.count(1)


async def kelurahan_id(session: AsyncSession, name: str) -> int:
    found = await session.scalar(select(Kelurahan.id).where(Kelurahan.name == name))
    assert found is not None, name
    return found


async def add_officer(session: AsyncSession, user_id: int, kelurahan: str, name: str) -> None:
    session.add(User(id=user_id, role="officer", display_name=name))
    await session.flush()
    session.add(
        OfficerArea(officer_id=user_id, kelurahan_id=await kelurahan_id(session, kelurahan))
    )


async def add_report(
    session: AsyncSession,
    kelurahan: str,
    created_at: datetime,
    *,
    category: str = "physical",
    urgent: bool = False,
    ack_after: timedelta | None = None,
    handling_after: timedelta | None = None,
    close_after: timedelta | None = None,
    owner_id: int | None = None,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    description: str | None = "Tetangga memukul anaknya.",
) -> Report:
    status = "baru"
    if ack_after is not None:
        status = "diterima"
    if handling_after is not None:
        status = "ditangani"
    if close_after is not None:
        status = "selesai"
    report = Report(
        code=f"TST{next(_codes):05d}",
        draft_id=str(uuid.uuid4()),
        status=status,
        urgent=urgent,
        relation="witness",
        category=category,
        victim="girl",
        victim_age="6-12",
        kelurahan_id=await kelurahan_id(session, kelurahan),
        occurred="today",
        description=description,
        anonymous=reporter_name is None,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        created_at=created_at,
        updated_at=utcnow(),
        owner_id=owner_id,
        acknowledged_at=created_at + ack_after if ack_after is not None else None,
        closed_at=created_at + close_after if close_after is not None else None,
    )
    session.add(report)
    await session.flush()
    if handling_after is not None:
        session.add(
            ReportStatusChange(
                report_id=report.id, status="ditangani", at=created_at + handling_after
            )
        )
    if close_after is not None:
        session.add(
            ReportStatusChange(report_id=report.id, status="selesai", at=created_at + close_after)
        )
    await session.flush()
    return report


def wib(day: int, hour: int = 10, month: int = 10, year: int = 2026) -> datetime:
    """A time in Palangka Raya (UTC+7) as an aware UTC datetime."""
    return datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=7)
