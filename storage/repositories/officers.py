"""What managing officers (services/officers.py) asks of their areas and queued messages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Kelurahan, OfficerArea, OutboxMessage, Report


def _kecamatan_of(kelurahan_id: int) -> Select[tuple[int]]:
    return select(Kelurahan.kecamatan_id).where(Kelurahan.id == kelurahan_id)


async def serves_near(session: AsyncSession, officer_id: int, kelurahan_id: int) -> bool:
    """The officer still serves some kelurahan of this kelurahan's kecamatan."""
    still_near = await session.scalar(
        select(OfficerArea.kelurahan_id)
        .join(Kelurahan, OfficerArea.kelurahan_id == Kelurahan.id)
        .where(
            OfficerArea.officer_id == officer_id,
            Kelurahan.kecamatan_id.in_(_kecamatan_of(kelurahan_id)),
        )
        .limit(1)
    )
    return still_near is not None


async def cancel_case_messages(
    session: AsyncSession,
    officer_id: int,
    kinds: Sequence[str],
    *,
    in_kecamatan_of: int | None = None,
) -> None:
    """Cancel what is still queued, unclaimed, for the officer about cases (of the kecamatan
    of kelurahan `in_kecamatan_of` only, when given)."""
    where: list[ColumnElement[bool]] = []
    if in_kecamatan_of is not None:
        kecamatan = _kecamatan_of(in_kecamatan_of)
        there = select(Report.id).where(Report.kelurahan_id.in_(
            select(Kelurahan.id).where(Kelurahan.kecamatan_id.in_(kecamatan))
        ))  # fmt: skip
        where.append(OutboxMessage.report_id.in_(there))
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.recipient_id == officer_id,
            OutboxMessage.status == "pending",
            OutboxMessage.claimed_until.is_(None),
            OutboxMessage.kind.in_(kinds),
            *where,
        )
        .values(status="cancelled")
    )
