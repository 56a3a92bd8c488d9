"""The rows of a case export (services/export.py), streamed in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Report
from storage.repositories.statistics import created_between

_FIELDS = (
    Report.created_at,
    Report.code,
    Report.category,
    Report.victim,
    Report.victim_age,
    Report.child_role,
    Report.recruitment,
    Report.border,
    Report.kelurahan_id,
    Report.occurred,
    Report.urgent,
    Report.status,
    Report.referral_partner,
    Report.outcome,
    Report.acknowledged_at,
    Report.closed_at,
)
_PERSONAL_FIELDS = (
    Report.reporter_name,
    Report.reporter_phone,
    Report.description,
    Report.held_at,
)


async def case_chunks(
    session: AsyncSession, start: datetime, end: datetime, *, personal: bool, chunk: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Reports made in [start, end), oldest first, `chunk` rows at a time, with the columns
    named after Report's; the personal ones (and so their decryption) only when asked for."""
    # Columns, not Report objects: the ORM's identity map and instance state cost 1.3 s for a
    # year's 20,000 cases, the plain rows 0.4 s.
    fields = _FIELDS + _PERSONAL_FIELDS if personal else _FIELDS
    # Streamed: a plain execute turns every row into Python objects in one go (0.1-0.2 s for
    # a year, with the event loop stopped).
    result = await session.stream(
        select(*fields)
        .where(*created_between(start, end))
        .order_by(Report.created_at, Report.id)
        .execution_options(yield_per=chunk)
    )
    async for rows in result.partitions(chunk):
        yield rows
