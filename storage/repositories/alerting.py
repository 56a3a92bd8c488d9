"""Alerts (models.Alert): who was alerted about a report, at which level and round."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Alert, Kelurahan, Report

_LOAD_REPORT = (
    select(Report)
    .where(Report.id == bindparam("report_id"))
    .options(
        joinedload(Report.kelurahan).joinedload(Kelurahan.kecamatan),
        joinedload(Report.evidence),
    )
    .execution_options(populate_existing=True)
)

# Core, built once: nothing reads the row back in this transaction.
_INSERT_ALERT = insert(cast(Table, Alert.__table__))


async def report_to_route(session: AsyncSession, report_id: int) -> Report | None:
    """The report with its place and evidence, fresh from the database. One joined query (not
    one per relationship): every Kirim and every delivered alert comes through here."""
    result = await session.execute(_LOAD_REPORT, {"report_id": report_id})
    report: Report | None = result.unique().scalar_one_or_none()
    return report


async def highest_round(session: AsyncSession, report_id: int) -> int | None:
    """The highest round of the report's routings' alerts (follow-ups' re-alerts, below 0,
    are left out); None before any."""
    highest: int | None = await session.scalar(
        select(func.max(Alert.round)).where(Alert.report_id == report_id, Alert.round >= 0)
    )
    return highest


async def add(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(_INSERT_ALERT, values)


async def recipients_in_order(session: AsyncSession, report_id: int) -> list[int]:
    """Everyone alerted about the report, once each, first alerted first."""
    rows = await session.scalars(
        select(Alert.recipient_id).where(Alert.report_id == report_id).order_by(Alert.id)
    )
    return list(dict.fromkeys(rows))


async def everyone_alerted(session: AsyncSession, report_id: int) -> set[int]:
    rows = await session.scalars(select(Alert.recipient_id).where(Alert.report_id == report_id))
    return set(rows)


async def recipients_at_level(session: AsyncSession, report_id: int, level: int) -> list[int]:
    """Everyone alerted about the report at this level, once each."""
    rows = await session.scalars(
        select(Alert.recipient_id).where(Alert.report_id == report_id, Alert.level == level)
    )
    return list(dict.fromkeys(rows))
