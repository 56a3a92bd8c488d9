"""What anonymising a closed case changes (services/retention.py), one statement each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseCard, CaseNote, Evidence, Report, ReportStatusChange


async def closed_before(session: AsyncSession, cutoff: datetime, *, limit: int) -> list[int]:
    """Ids of cases closed before `cutoff` and not anonymised yet, lowest first."""
    rows = await session.scalars(
        select(Report.id)
        .where(
            Report.closed_at.is_not(None),
            Report.closed_at < cutoff,
            Report.anonymised_at.is_(None),
        )
        .order_by(Report.id)
        .limit(limit)
    )
    return list(rows)


async def wipe_reports(session: AsyncSession, ids: list[int], now: datetime) -> None:
    """Everything that could identify or describe someone, off the report rows."""
    await session.execute(
        update(Report)
        .where(Report.id.in_(ids))
        .values(
            description=None,
            landmark=None,
            location=None,
            held_at=None,
            reporter_name=None,
            reporter_phone=None,
            reporter_chat_id=None,
            reporter_chat_index=None,
            contact_consent=False,
            followups_stopped=True,
            anonymised_at=now,
            updated_at=now,
        )
    )


async def forget_evidence_files(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(update(Evidence).where(Evidence.report_id.in_(ids)).values(source=None))


async def blank_notes(session: AsyncSession, ids: list[int]) -> None:
    """Notes keep their rows (and so their count and authors), not their text; status changes
    lose their note."""
    await session.execute(update(CaseNote).where(CaseNote.report_id.in_(ids)).values(text=""))
    await session.execute(
        update(ReportStatusChange).where(ReportStatusChange.report_id.in_(ids)).values(note=None)
    )


async def forget_cards(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(delete(CaseCard).where(CaseCard.report_id.in_(ids)))
