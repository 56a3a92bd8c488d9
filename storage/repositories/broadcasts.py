"""Broadcasts and their outbox rows.

A broadcast's recipients are outbox rows of kind "broadcast" keyed "broadcast:<id>:<user>"
(services/broadcasts.py); there is no broadcast column on the outbox, so the rows of one
broadcast are found by that key prefix.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, DeliveryAttempt, OutboxMessage, ScheduledJob, utcnow
from storage.on_conflict import insert_or_skip
from storage.repositories import outbox as outbox_rows
from storage.repositories.outbox import OutboxRow

# The outbox kind of a broadcast's copies (services/broadcasts.py enqueues them).
OUTBOX_KIND = "broadcast"
# A row taken back before it was sent; the sender only ever touches pending rows.
CANCELLED = "cancelled"
# The attempt the sender records for a row Telegram accepted that was no longer pending
# (bot/sending/recording.py, Recorder._sent).
LANDED_ANYWAY = "duplicate"


def row_key(broadcast_id: int, user_id: int) -> str:
    return f"broadcast:{broadcast_id}:{user_id}"


def broadcast_of_row(row: OutboxRow) -> int | None:
    """The broadcast an outbox row is a copy for (row_key read back); None for other rows."""
    if row.kind != OUTBOX_KIND or not row.dedupe_key:
        return None
    parts = row.dedupe_key.split(":")
    if len(parts) != 3 or parts[0] != "broadcast" or not parts[1].isdigit():
        return None
    return int(parts[1])


def _rows_of(broadcast_id: int) -> ColumnElement[bool]:
    # The id is an int, so the pattern holds no LIKE wildcards of its own.
    return and_(
        OutboxMessage.kind == OUTBOX_KIND,
        OutboxMessage.dedupe_key.like(f"broadcast:{broadcast_id}:%"),
    )


# Rows per INSERT statement: few round trips, and well under SQLite's bound-parameter limit.
_CHUNK = 500


class BroadcastRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, created_by: int, source_chat_id: int, source_message_id: int, now: datetime
    ) -> Broadcast:
        broadcast = Broadcast(
            created_by=created_by,
            source_chat_id=source_chat_id,
            source_message_id=source_message_id,
            audience="all",
            audience_id=None,
            status="draft",
            created_at=now,
            recipients=0,
        )
        self._session.add(broadcast)
        await self._session.flush()
        return broadcast

    async def queue_copies(
        self, broadcast_id: int, payloads: dict[int, dict[str, Any]], *, lane: int
    ) -> None:
        """One pending outbox row per recipient (users.id -> addressed payload), keyed so that
        a row queued before (a job run again after a crash) is skipped.

        The bulk form of services.outbox.enqueue, with the same row shape: one INSERT per
        recipient took seconds for a few thousand, holding SQLite's write lock all along."""
        now = utcnow()
        rows = [
            {
                "dedupe_key": row_key(broadcast_id, recipient_id),
                "lane": lane,
                "kind": OUTBOX_KIND,
                "recipient_id": recipient_id,
                "payload": payload,
                "report_id": None,
                "status": "pending",
                "attempts": 0,
                "not_before": now,
                "created_at": now,
            }
            for recipient_id, payload in payloads.items()
        ]
        for start in range(0, len(rows), _CHUNK):
            statement = insert_or_skip(self._session, OutboxMessage, ("dedupe_key",))
            # A list of parameter sets: executemany, batched by the driver (insertmanyvalues).
            await self._session.execute(statement, rows[start : start + _CHUNK])
        if rows:
            await outbox_rows.queued(self._session, lane)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self._session.get(Broadcast, broadcast_id)

    async def move(
        self, broadcast_id: int, *, from_: Collection[str], to: str, **values: Any
    ) -> Broadcast | None:
        """Change the status if it is one of `from_`, in one UPDATE; None if it was not.

        The compare-and-set is what makes a second tap on Send, or a cancel racing the job
        that starts the sending, do nothing: on PostgreSQL the row lock orders them."""
        statement = (
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(list(from_)))
            .values(status=to, **values)
            .returning(Broadcast)
            .execution_options(populate_existing=True)
        )
        moved: Broadcast | None = await self._session.scalar(statement)
        return moved

    async def recent(self, limit: int, *, hidden: Collection[str]) -> list[Broadcast]:
        rows = await self._session.scalars(
            select(Broadcast)
            .where(Broadcast.status.not_in(list(hidden)))
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def with_status(self, status: str) -> list[Broadcast]:
        rows = await self._session.scalars(
            select(Broadcast).where(Broadcast.status == status).order_by(Broadcast.id)
        )
        return list(rows)

    async def row_outcomes(self, broadcast_id: int) -> dict[tuple[str, str | None], int]:
        """How many of the broadcast's rows are in each (status, last_error) pair."""
        result = await self._session.execute(
            select(OutboxMessage.status, OutboxMessage.last_error, func.count())
            .where(_rows_of(broadcast_id))
            .group_by(OutboxMessage.status, OutboxMessage.last_error)
        )
        return {(status, error): int(count) for status, error, count in result.tuples()}

    async def row_count(self, broadcast_id: int) -> int:
        count = await self._session.scalar(select(func.count()).where(_rows_of(broadcast_id)))
        return int(count or 0)

    async def still_queueing(self, broadcast_id: int) -> bool:
        """Whether a step writing more of the broadcast's rows is still to run."""
        found = await self._session.scalar(
            select(ScheduledJob.id)
            .where(
                ScheduledJob.key.like(f"broadcast_queue:{broadcast_id}:%"),
                ScheduledJob.done_at.is_(None),
                ScheduledJob.cancelled.is_(False),
            )
            .limit(1)
        )
        return found is not None

    async def landed_after_cancel(self, broadcast_id: int) -> int:
        """Rows taken back while the sender was already sending them, which Telegram then
        accepted: the sender found them no longer pending and recorded a "duplicate" attempt.
        They did reach their recipient, so they count as delivered, not as cancelled."""
        found = await self._session.scalar(
            select(func.count(func.distinct(OutboxMessage.id)))
            .join(DeliveryAttempt, DeliveryAttempt.outbox_id == OutboxMessage.id)
            .where(
                _rows_of(broadcast_id),
                OutboxMessage.status == CANCELLED,
                DeliveryAttempt.outcome == LANDED_ANYWAY,
            )
        )
        return int(found or 0)

    async def cancel_pending_rows(self, broadcast_id: int) -> int:
        """Take back every row not sent yet. A row in flight at this moment may still reach
        its recipient; the sender then finds it no longer pending and leaves it be."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(_rows_of(broadcast_id), OutboxMessage.status == "pending")
            .values(status=CANCELLED, claimed_until=None, claimed_by=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_job(self, key: str) -> None:
        """Cancel the scheduled job with this key unless it already ran."""
        await self._session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.key == key, ScheduledJob.done_at.is_(None))
            .values(cancelled=True)
        )
