"""The inbox's SQL: storing updates, claiming them in each person's order, completing them.

Every function runs inside the caller's transaction and commits nothing. Statements are built
once (module constants with bound parameters), as the outbox's are: several run for every
update. A claim is an UPDATE first, so on SQLite it takes the write lock at once; on
PostgreSQL `FOR UPDATE SKIP LOCKED` lets instances claim side by side without waiting.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.crypto import EncryptedJSON
from storage.models import InboxUpdate, UTCDateTime
from storage.on_conflict import insert_select_or_skip

PENDING = "pending"
DONE = "done"
PARKED = "parked"

_inbox = cast(Table, InboxUpdate.__table__)
_c = _inbox.c


def _as_written(status: str) -> ColumnElement[str]:
    """A status written into the SQL, never bound. A bound value compared with `status`, the
    column of the partial index's WHERE (ix_inbox_claimable: status = 'pending'), is read by
    SQLite's planner, which then plans the statement again at every execution, since every
    execution binds the value anew: the store cost 55 µs of SQLite's time instead of 13
    (README, "Benchmarks"). Written in, the planner also knows the index answers."""
    return literal_column(f"'{status}'")


_IS_PENDING = _as_written(PENDING)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this worker now holds: `attempts` counts this claim too."""

    id: int
    update_id: int
    attempts: int


def new_row(
    bot_id: int, update_id: int, person: int, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The values of a freshly received update, for `store_and_take`. `now` to the hour (the
    caller's storage/identity.hour): a resident's times are kept no finer than needed."""
    return {
        "bot_id": bot_id,
        "update_id": update_id,
        "person": person,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "not_before": now,
        "received_at": now,
    }


# A new update is claimed as it is stored, by the instance storing it, when it may be handled
# at once: the caller has room for it and its person has no other update pending (one being
# handled, waiting for a retry, or stored just before in the same batch). Otherwise it waits
# for `claim`. One statement where an insert and a claim were two (README, "Benchmarks").
_NEW_COLUMNS = (
    "bot_id", "update_id", "person", "payload", "status", "attempts", "not_before",
    "received_at", "claimed_by", "claimed_until",
)  # fmt: skip
_PERSON_PENDING = exists().where(
    _c.status == _IS_PENDING,
    _c.bot_id == bindparam("bot_id"),
    _c.person == bindparam("person"),
)
# Decided once per row (SQLite would evaluate the condition again in each CASE).
_DECISION = select(
    and_(bindparam("take", type_=Boolean), ~_PERSON_PENDING).label("take_now")
).subquery("decision")
_TAKE_NOW = _DECISION.c.take_now
_NEW_ROW = (
    select(
        bindparam("bot_id", type_=BigInteger),
        bindparam("update_id", type_=BigInteger),
        bindparam("person", type_=BigInteger),
        bindparam("payload", type_=EncryptedJSON),
        literal(PENDING),
        case((_TAKE_NOW, 1), else_=0),
        bindparam("not_before", type_=UTCDateTime),
        bindparam("received_at", type_=UTCDateTime),
        case((_TAKE_NOW, bindparam("worker_id", type_=String)), else_=null()),
        case((_TAKE_NOW, bindparam("until", type_=UTCDateTime)), else_=null()),
    )
    .select_from(_DECISION)
    # SQLite reads ON CONFLICT after a SELECT's FROM as a join's ON without a WHERE.
    .where(true())
)


async def store_and_take(
    session: AsyncSession,
    row: dict[str, Any],
    *,
    take: bool,
    worker_id: str,
    until: datetime,
) -> Claimed | bool:
    """Store one update (`new_row`), claimed for `worker_id` until `until` if `take` and its
    person has nothing else pending. Returns the claim, True if stored unclaimed, or False if
    it was stored before (a second delivery)."""
    statement = insert_select_or_skip(
        session,
        InboxUpdate,
        _NEW_COLUMNS,
        _NEW_ROW,
        ("bot_id", "update_id"),
        (_c.id, _c.update_id, _c.claimed_by),
    )
    params = {**row, "take": take, "worker_id": worker_id, "until": until}
    stored = (await session.execute(statement, params)).first()
    if stored is None:
        return False
    row_id, update_id, claimed_by = stored
    return Claimed(int(row_id), int(update_id), 1) if claimed_by == worker_id else True


# A row is claimable when it is pending and due, nobody holds a live claim on it (an expired
# claim is a dead instance's), and no earlier update of the same person is still pending:
# one person's updates are handled one after another, in Telegram's order.
_earlier = _inbox.alias("earlier")
_EARLIER_PENDING = exists().where(
    _earlier.c.status == _IS_PENDING,
    _earlier.c.bot_id == _c.bot_id,
    _earlier.c.person == _c.person,
    _earlier.c.update_id < _c.update_id,
)
_CLAIMABLE = (
    select(_c.id)
    .where(
        _c.status == _IS_PENDING,
        _c.bot_id == bindparam("for_bot"),
        _c.not_before <= bindparam("now"),
        or_(_c.claimed_until.is_(None), _c.claimed_until < bindparam("now")),
        _c.id.not_in(bindparam("exclude", expanding=True)),
        ~_EARLIER_PENDING,
    )
    .order_by(_c.update_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_CLAIM = (
    update(_inbox)
    .where(_c.id.in_(_CLAIMABLE))
    .values(
        claimed_until=bindparam("until"),
        claimed_by=bindparam("worker_id"),
        attempts=_c.attempts + 1,
    )
    .returning(_c.id, _c.update_id, _c.attempts)
)


async def claim(
    session: AsyncSession,
    *,
    bot_id: int,
    now: datetime,
    lease: timedelta,
    worker_id: str,
    limit: int,
    exclude: Collection[int] = (),
) -> list[Claimed]:
    """Claim up to `limit` claimable rows for `lease`, oldest update first; never those in
    `exclude` (rows the caller is handling already: a lease can run out under a handler that
    is still alive, when its heartbeat came late)."""
    if limit <= 0:
        return []
    params = {
        "for_bot": bot_id,
        "now": now,
        "limit": limit,
        "until": now + lease,
        "worker_id": worker_id,
        "exclude": list(exclude),
    }
    result = await session.execute(_CLAIM, params)
    rows = [Claimed(int(id_), int(update_id), int(attempts)) for id_, update_id, attempts in result]
    # RETURNING does not keep the subquery's order.
    rows.sort(key=lambda row: row.update_id)
    return rows


async def payloads(session: AsyncSession, row_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The stored updates of claimed rows (decrypted), by row id."""
    if not row_ids:
        return {}
    result = await session.execute(
        select(_c.id, _c.payload).where(_c.id.in_(list(row_ids)), _c.payload.is_not(None))
    )
    return {int(row_id): payload for row_id, payload in result}


# Handled: in the handler's own transaction. The row keeps only what recognises a replay.
_MARK_DONE = (
    update(_inbox)
    .where(_c.id == bindparam("row_id"), _c.status == _IS_PENDING)
    .values(
        status=DONE,
        done_at=bindparam("done_hour"),
        payload=None,
        person=None,
        claimed_until=None,
        claimed_by=None,
    )
)


async def mark_done(session: AsyncSession, row_id: int, *, done_at: datetime) -> bool:
    """False if the row is no longer pending: another instance handled it meanwhile (it took
    the row over after this one's lease ran out), and this handling must not count."""
    result = await session.execute(_MARK_DONE, {"row_id": row_id, "done_hour": done_at})
    return bool(getattr(result, "rowcount", 0))


_HELD = and_(
    _c.id == bindparam("row_id"), _c.status == _IS_PENDING, _c.claimed_by == bindparam("worker_id")
)
_RETRY_LATER = (
    update(_inbox)
    .where(_HELD)
    .values(not_before=bindparam("due"), claimed_until=None, claimed_by=None)
)
_PARK = update(_inbox).where(_HELD).values(status=PARKED, claimed_until=None, claimed_by=None)


async def retry_later(
    session: AsyncSession, row_id: int, *, worker_id: str, not_before: datetime
) -> bool:
    """A failed attempt (already counted by its claim): due again at `not_before`."""
    params = {"row_id": row_id, "worker_id": worker_id, "due": not_before}
    result = await session.execute(_RETRY_LATER, params)
    return bool(getattr(result, "rowcount", 0))


async def park(session: AsyncSession, row_id: int, *, worker_id: str) -> bool:
    """Given up on: kept, with its payload, for an operator to look at; no longer holds back
    the person's later updates."""
    result = await session.execute(_PARK, {"row_id": row_id, "worker_id": worker_id})
    return bool(getattr(result, "rowcount", 0))


_HEARTBEAT = (
    update(_inbox)
    .where(_c.status == _IS_PENDING, _c.claimed_by == bindparam("worker_id"))
    .values(claimed_until=bindparam("until"))
)


async def heartbeat(session: AsyncSession, *, worker_id: str, until: datetime) -> int:
    """Extend every claim this worker holds: its handlers are alive."""
    result = await session.execute(_HEARTBEAT, {"worker_id": worker_id, "until": until})
    return int(getattr(result, "rowcount", 0) or 0)


_RELEASE = (
    update(_inbox)
    .where(_c.status == _IS_PENDING, _c.claimed_by == bindparam("worker_id"))
    .values(
        claimed_until=None,
        claimed_by=None,
        attempts=case((_c.attempts > 0, _c.attempts - 1), else_=0),
    )
)


async def release(session: AsyncSession, *, worker_id: str) -> int:
    """Give back every row this worker still holds, unhandled, with the attempt its claim
    counted (a stopping instance is not the update's fault): another instance, or the next
    start, takes them at once instead of after the lease."""
    result = await session.execute(_RELEASE, {"worker_id": worker_id})
    return int(getattr(result, "rowcount", 0) or 0)


async def release_all(session: AsyncSession) -> int:
    """Drop every claim (SQLite at start-up: only one process may use the file, so whoever
    held them is dead). Their attempts stay counted: the process may have died of them."""
    result = await session.execute(
        update(_inbox)
        .where(_c.status == _IS_PENDING, _c.claimed_by.is_not(None))
        .values(claimed_until=None, claimed_by=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(session: AsyncSession, *, done_before: datetime, parked_before: datetime) -> int:
    """Forget handled rows received before `done_before` (a replay cannot be older) and parked
    ones received before `parked_before`. Pending rows are never purged."""
    result = await session.execute(
        delete(_inbox).where(
            or_(
                and_(_c.status == _as_written(DONE), _c.received_at < done_before),
                and_(_c.status == _as_written(PARKED), _c.received_at < parked_before),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_person(session: AsyncSession, person: int) -> int:
    """/hapusdata: parked updates keep what the person wrote; they go. (Handled rows kept
    nothing of it; pending ones are still to be handled.)"""
    result = await session.execute(
        delete(_inbox).where(_c.status == _as_written(PARKED), _c.person == person)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """Pending and parked rows, for the metrics (handled ones are not worth a count)."""
    result = await session.execute(
        select(_c.status, func.count())
        .where(_c.status.in_((_IS_PENDING, _as_written(PARKED))))
        .group_by(_c.status)
    )
    return {str(status): int(count) for status, count in result.tuples()}


__all__ = [
    "DONE",
    "PARKED",
    "PENDING",
    "Claimed",
    "claim",
    "count_by_status",
    "forget_person",
    "heartbeat",
    "mark_done",
    "new_row",
    "park",
    "payloads",
    "purge",
    "release",
    "release_all",
    "retry_later",
    "store_and_take",
]
