"""Working a case (services/cases.py): taking it, its alerts' rows, the open cases one sees."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Alert, Kelurahan, OfficerArea, OutboxMessage, Report


async def owned(
    session: AsyncSession,
    officer_id: int,
    statuses: Sequence[str],
    kelurahan_ids: Collection[int] | None = None,
) -> list[int]:
    """Ids of the cases the officer owns with one of `statuses` (in `kelurahan_ids`, or
    all), lowest first."""
    query = select(Report.id).where(Report.owner_id == officer_id, Report.status.in_(statuses))
    if kelurahan_ids is not None:
        query = query.where(Report.kelurahan_id.in_(list(kelurahan_ids)))
    return list(await session.scalars(query.order_by(Report.id)))


async def take_if_free(session: AsyncSession, report_id: int, user_id: int, now: datetime) -> bool:
    """Make `user_id` the owner unless someone is; True if they won. One conditional UPDATE
    decides the race, on SQLite and on PostgreSQL alike."""
    result = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.owner_id.is_(None))
        .values(
            owner_id=user_id,
            acknowledged_at=now,
            status="diterima",
            updated_at=now,
            version=Report.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def cancel_unsent_alerts(session: AsyncSession, report_id: int, owner_id: int) -> None:
    """Alerts of the report (with their details) not sent nor being sent, to anyone but the
    owner, stay unsent."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.report_id == report_id,
            OutboxMessage.status == "pending",
            OutboxMessage.claimed_until.is_(None),
            OutboxMessage.kind.in_(("alert", "alert_detail", "evidence")),
            OutboxMessage.recipient_id != owner_id,
        )
        .values(status="cancelled")
    )


async def sent_alerts(session: AsyncSession, report_id: int) -> list[OutboxMessage]:
    """The report's alerts that reached Telegram, with the id of the message they became."""
    rows = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.report_id == report_id,
            OutboxMessage.kind == "alert",
            OutboxMessage.status == "sent",
            OutboxMessage.result_message_id.is_not(None),
        )
    )
    return list(rows)


async def sent_as(session: AsyncSession, chat_id: int, message_id: int) -> list[OutboxMessage]:
    """Every sent row that became this message in this chat (one message may carry several)."""
    rows = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient_id == chat_id,
            OutboxMessage.result_message_id == message_id,
            OutboxMessage.status == "sent",
        )
    )
    return list(rows)


async def open_cases(
    session: AsyncSession, statuses: Sequence[str], officer_id: int | None = None
) -> list[Report]:
    """Cases with one of `statuses`, oldest first: all of them, or (with `officer_id`) those
    the officer owns or was alerted to, nobody took yet, and whose kelurahan or kecamatan the
    officer still serves (as case_access.may_see)."""
    query = select(Report).where(Report.status.in_(statuses)).order_by(Report.created_at)
    if officer_id is not None:
        alerted = select(Alert.report_id).where(Alert.recipient_id == officer_id)
        their_kecamatan = (
            select(Kelurahan.kecamatan_id)
            .join(OfficerArea, OfficerArea.kelurahan_id == Kelurahan.id)
            .where(OfficerArea.officer_id == officer_id)
        )
        # Their kelurahan and the others of the same kecamatan (the routing's fallback).
        in_their_area = select(Kelurahan.id).where(Kelurahan.kecamatan_id.in_(their_kecamatan))
        query = query.where(
            (Report.owner_id == officer_id)
            | (
                Report.owner_id.is_(None)
                & Report.id.in_(alerted)
                & Report.kelurahan_id.in_(in_their_area)
            )
        )
    return list(await session.scalars(query))
