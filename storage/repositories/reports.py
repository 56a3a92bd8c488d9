from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Evidence, Report, ReportStatusChange, utcnow

# Built once: every Kirim asks.
_BY_DRAFT_OR_CODE = select(Report).where(
    or_(Report.draft_id == bindparam("draft"), Report.code == bindparam("code"))
)

# Built once: asked for every alert delivered.
# Locked (PostgreSQL; SQLite has one writer anyway): see `owner_of`.
_OWNER = select(Report.owner_id).where(Report.id == bindparam("report_id")).with_for_update()


class ReportRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, report: Report, evidence: list[Evidence]) -> Report:
        """Store a new report with its first status and its evidence."""
        now = report.created_at or utcnow()
        report.created_at = now
        report.updated_at = now
        report.evidence = evidence
        report.history = [ReportStatusChange(status=report.status, at=now)]
        self._session.add(report)
        await self._session.flush()
        return report

    async def owner_of(self, report_id: int) -> int | None:
        """The officer who took the report, without loading it; the row stays locked until
        this transaction ends. For the sender's record of an alert: a Terima in progress
        (its conditional UPDATE locks the row) is waited for, so either the record sees its
        owner or the Terima sees the alert sent, and one of them says who took the case."""
        owner: int | None = await self._session.scalar(_OWNER, {"report_id": report_id})
        return owner

    async def last_status_change_at(self, report_id: int) -> datetime | None:
        changed: datetime | None = await self._session.scalar(
            select(func.max(ReportStatusChange.at)).where(ReportStatusChange.report_id == report_id)
        )
        return changed

    async def by_code(self, code: str) -> Report | None:
        report: Report | None = await self._session.scalar(
            select(Report)
            .where(Report.code == code)
            .options(selectinload(Report.history), selectinload(Report.kelurahan))
        )
        return report

    async def by_draft_or_code(self, draft_id: str, code: str) -> tuple[Report | None, bool]:
        """The report stored from this draft, if any, and whether `code` is taken: one query
        where a Kirim used to ask twice."""
        found = list(
            await self._session.scalars(_BY_DRAFT_OR_CODE, {"draft": draft_id, "code": code})
        )
        existing = next((report for report in found if report.draft_id == draft_id), None)
        return existing, any(report.code == code for report in found)

    async def advance_version(self, report: Report, expected: int | None) -> bool:
        """Count one change of the case's state; with `expected`, only if the case is still at
        that version (one conditional UPDATE: of two presses from cards showing the same
        version, on SQLite or PostgreSQL, one changes the case and the other finds it stale)."""
        statement = update(Report).where(Report.id == report.id)
        if expected is not None:
            statement = statement.where(Report.version == expected)
        new = await self._session.scalar(
            statement.values(version=Report.version + 1)
            .returning(Report.version)
            .execution_options(synchronize_session=False)
        )
        if new is None:
            return False
        set_committed_value(report, "version", new)
        return True

    async def code_exists(self, code: str) -> bool:
        return (
            await self._session.scalar(select(Report.id).where(Report.code == code))
        ) is not None

    async def linked_to_chat(self, chat_index: str) -> list[Report]:
        rows = await self._session.scalars(
            select(Report)
            .where(Report.reporter_chat_index == chat_index)
            .options(selectinload(Report.evidence))
        )
        return list(rows)

    async def last_change_at(self, report: Report) -> datetime:
        at = await self._session.scalar(
            select(ReportStatusChange.at)
            .where(ReportStatusChange.report_id == report.id)
            .order_by(ReportStatusChange.id.desc())
            .limit(1)
        )
        return at or report.created_at
