"""The notes written on a case (models.CaseNote): their text is encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseNote


class CaseNoteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count(self, report_id: int) -> int:
        found = await self._session.scalar(
            select(func.count()).select_from(CaseNote).where(CaseNote.report_id == report_id)
        )
        return int(found or 0)

    async def of_report(self, report_id: int) -> list[CaseNote]:
        """Oldest first, as they were written."""
        rows = await self._session.scalars(
            select(CaseNote).where(CaseNote.report_id == report_id).order_by(CaseNote.id)
        )
        return list(rows)

    async def last_written_at(self, report_id: int) -> datetime | None:
        written: datetime | None = await self._session.scalar(
            select(func.max(CaseNote.at)).where(CaseNote.report_id == report_id)
        )
        return written
