"""Claiming and completing outbox rows: the storage side of the sender.

Every function is one statement (or two) inside the caller's transaction; nothing commits here.
Writes start with an UPDATE rather than a SELECT, so on SQLite the transaction takes the write
lock at once (waiting on busy_timeout) instead of failing when a read lock cannot be upgraded.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Executable,
    Integer,
    ScalarSelect,
    Select,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import PSEUDONYM_FLOOR
from storage.identity import day
from storage.models import DeliveryAttempt, OutboxMessage, User
from storage.on_conflict import insert_or_skip

PENDING = "pending"
SENT = "sent"
DEAD = "dead"
CANCELLED = "cancelled"

# PostgreSQL: every transaction that queues rows NOTIFYs this channel at its commit, so the
# instance that sends (bot/sending/leader.py) is woken at once, whichever instance queued.
NOTIFY_CHANNEL = "lapor_aman_outbox"
# session.info: rows were queued in this session (read and cleared by whoever commits it).
QUEUED = "outbox_dirty"

# Column sizes in storage/models.py: longer texts are cut rather than failing the transaction.
_ERROR_LENGTH = 255
_OUTCOME_LENGTH = 16


# The table's own columns (Core): the statements built from them skip the ORM's bookkeeping.
_TABLE = cast(Table, OutboxMessage.__table__)

# Core, built once: one row for every message sent.
_INSERT_ATTEMPT = insert(cast(Table, DeliveryAttempt.__table__))


async def queued(session: AsyncSession, lane: int) -> None:
    """Rows were queued in this transaction: wake the sender once it commits (in this
    process through session.info, which keeps the most urgent lane queued: `woken_lane`; on
    PostgreSQL every instance's through NOTIFY, which PostgreSQL delivers at commit and drops
    on rollback)."""
    session.info[QUEUED] = min(lane, session.info.get(QUEUED, lane))
    if session.bind.dialect.name != "postgresql":
        return
    # Again only for a more urgent lane than the transaction named before (the sender does
    # not space its passes for alerts: bot/sending/sender.py, PASS_SPACING).
    mark = ("outbox_notified", id(session.get_transaction()))
    notified: int | None = session.info.get(mark)
    if notified is not None and notified <= lane:
        return
    session.info[mark] = lane
    await session.execute(
        text("SELECT pg_notify(:channel, :lane)"), {"channel": NOTIFY_CHANNEL, "lane": str(lane)}
    )


def woken_lane(session: AsyncSession) -> int | None:
    """The most urgent lane this committed transaction queued rows in (and forgets it), or
    None when it queued none: what the sender is to be woken for."""
    lane: int | None = session.info.pop(QUEUED, None)
    return lane


# session.info: rows queued in this transaction and not written yet (`hold`).
_HELD = "outbox_held"


def hold(session: AsyncSession, values: dict[str, Any]) -> None:
    """A row written with the others held in this transaction, in one statement, before it
    commits (`write_held`): an update's replies, usually two (the answered question edited,
    the next one asked), cost one INSERT instead of two."""
    session.info.setdefault(_HELD, []).append(values)


async def write_held(session: AsyncSession) -> None:
    """Write the rows `hold` kept, in the order they were queued (ids keep that order, and
    the sender sends a lane by id). Called before the transaction commits, and first by
    anything here that inserts or looks at rows a held one could be among."""
    held: list[dict[str, Any]] | None = session.info.pop(_HELD, None)
    if held:
        await session.execute(insert_or_skip(session, OutboxMessage, ("dedupe_key",)), held)


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert one row; its id, or None when a row with its dedupe_key exists already."""
    await write_held(session)  # queued earlier, so sent earlier in its lane
    statement = insert_or_skip(session, OutboxMessage, ("dedupe_key",), returning=OutboxMessage.id)
    # Core inserts still go through the column types: the payload is encrypted here too.
    new_id = await session.scalar(statement, values)
    return None if new_id is None else int(new_id)


async def by_dedupe_key(session: AsyncSession, dedupe_key: str) -> OutboxMessage | None:
    await write_held(session)
    row: OutboxMessage | None = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    return row


@dataclass(slots=True)
class OutboxRow:
    """An outbox row as a claim returned it: its values, not an ORM object (the sender only
    reads them, and the ORM set up a loader for each column on every claim: README,
    "Benchmarks"). The hooks get these, and so does anything that edits a sent row's
    message (`of` turns an ORM row into one)."""

    id: int
    lane: int
    kind: str
    recipient_id: int | None
    payload: dict[str, Any] | None
    report_id: int | None = None
    dedupe_key: str = ""
    status: str = PENDING
    attempts: int = 0
    not_before: datetime | None = None
    claimed_until: datetime | None = None
    claimed_by: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    result_message_id: int | None = None
    last_error: str | None = None

    @classmethod
    def of(cls, row: OutboxMessage) -> OutboxRow:
        return cls(**{name: getattr(row, name) for name in _ROW_FIELDS})


_ROW_FIELDS = tuple(field.name for field in fields(OutboxRow))


# Lane bounds that leave nothing out, for a claim not narrowed to some lanes.
_ANY_LANE = (-(2**31), 2**31 - 1)


def _claim_statement() -> Executable:
    """Built once (a claim every pass): parameters now, until, worker, exclude, and two lane
    ranges with a limit each (`claim_due`'s lanes, and the rows it may take besides).

    FOR UPDATE SKIP LOCKED (PostgreSQL): two senders claiming at once each get other rows,
    and neither waits for the other. SQLite has one writer and drops the clause; the UPDATE
    takes its write lock before reading, so the same holds there.

    Core throughout, its rows returned as `OutboxRow`s: an ORM-enabled UPDATE first works out
    which objects in the session it changes, and the ORM's loading of the rows set up a loader
    for every column on every claim (README, "Benchmarks")."""
    now: BindParameter[datetime] = bindparam("now")

    def chosen(lanes: str) -> ScalarSelect[int]:
        due = and_(
            _TABLE.c.status == PENDING,
            _TABLE.c.not_before <= now,
            or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until < now),
            _TABLE.c.lane >= bindparam(f"{lanes}_min"),
            _TABLE.c.lane <= bindparam(f"{lanes}_max"),
            _TABLE.c.recipient_id.not_in(bindparam("exclude", expanding=True)),
        )
        return (
            select(_TABLE.c.id)
            .where(due)
            .order_by(_TABLE.c.lane, _TABLE.c.id)
            .limit(bindparam(f"{lanes}_limit", type_=Integer))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )

    claim = (
        update(_TABLE)
        .where(or_(_TABLE.c.id.in_(chosen("lanes")), _TABLE.c.id.in_(chosen("also"))))
        .values(claimed_until=bindparam("until"), claimed_by=bindparam("worker"))
        .returning(*(_TABLE.c[name] for name in _ROW_FIELDS))
    )
    return claim


_CLAIM = _claim_statement()


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    worker_id: str,
    lease: timedelta,
    min_lane: int | None = None,
    max_lane: int | None = None,
    exclude_chats: Collection[int] = (),
    also: tuple[int, int] = (0, 0),
) -> list[OutboxRow]:
    """Claim up to `limit` due rows, lane first then id, for `lease`.

    `min_lane`/`max_lane` narrow the claim; `also` = (lane, count): in the same statement,
    up to `count` more from `lane` up (the sender's broadcasts: what it may take at most,
    so that a pass without any costs no statement for them). `exclude_chats` skips
    recipients (as rows name them) the caller cannot send to yet.
    """
    also_lane, also_limit = also
    if limit <= 0 and also_limit <= 0:
        return []
    parameters = {
        "now": now,
        "until": now + lease,
        "worker": worker_id,
        "lanes_min": _ANY_LANE[0] if min_lane is None else min_lane,
        "lanes_max": _ANY_LANE[1] if max_lane is None else max_lane,
        "lanes_limit": max(limit, 0),
        "also_min": also_lane,
        "also_max": _ANY_LANE[1],
        "also_limit": max(also_limit, 0),
        "exclude": list(exclude_chats),
    }
    result = await session.execute(_CLAIM, parameters)
    rows = [OutboxRow(*values) for values in result.tuples()]
    # RETURNING does not keep the subquery's order.
    rows.sort(key=lambda row: (row.lane, row.id))
    return rows


async def _update_pending(
    session: AsyncSession, row_id: int, values: dict[str, Any]
) -> OutboxMessage | None:
    """Update a row that is still pending; None if it was completed meanwhile (by a sender
    whose claim this one took over), so nobody resurrects a sent row or reports it twice."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING)
        .values(**values)
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    )
    row: OutboxMessage | None = await session.scalar(statement)
    return row


# A row to a resident, once done with (sent or dead), keeps neither its payload (the chat,
# what was said) nor its recipient: counts and times stay for the metrics and a broadcast's
# report. Staff rows keep both: the case rules edit alerts after they are sent
# (services/cases.py); RETENTION wipes them with the case.
_TO_RESIDENT = _TABLE.c.recipient_id >= PSEUDONYM_FLOOR
_FORGET = {
    "payload": case((_TO_RESIDENT, null()), else_=_TABLE.c.payload),
    "recipient_id": case((_TO_RESIDENT, null()), else_=_TABLE.c.recipient_id),
}


# Core, built once for each size of wave (at most the sender's batch): a wave's rows in one
# statement, each with when it was sent and the message it became (they were a second
# statement, executemany, for most waves of figure 1: README, "Benchmarks").
@functools.cache
def _mark_sent_statement(size: int) -> Executable:
    ids = [bindparam(f"id_{k}", type_=Integer) for k in range(size)]

    def each(name: str, type_: Any) -> Any:
        if size == 1:
            return bindparam(f"{name}_0", type_=type_)
        return case(*((_TABLE.c.id == ids[k], bindparam(f"{name}_{k}", type_=type_))
                      for k in range(size)))  # fmt: skip

    return (
        update(_TABLE)
        .where(_TABLE.c.id.in_(ids), _TABLE.c.status == PENDING)
        .values(
            status=SENT,
            claimed_until=None,
            claimed_by=None,
            sent_at=each("at", _TABLE.c.sent_at.type),
            result_message_id=each("message", _TABLE.c.result_message_id.type),
            **_FORGET,
        )
        .returning(_TABLE.c.id)
    )


async def mark_sent(
    session: AsyncSession, sent: Collection[tuple[int, datetime, int | None]]
) -> set[int]:
    """Telegram accepted these rows: (row id, when, its message id) each. Returns the ids
    marked; one left out was no longer pending (see `_update_pending`)."""
    if not sent:
        return set()
    parameters: dict[str, Any] = {}
    for k, (row_id, at, message_id) in enumerate(sent):
        parameters.update({f"id_{k}": row_id, f"at_{k}": at, f"message_{k}": message_id})
    result = await session.execute(_mark_sent_statement(len(sent)), parameters)
    return set(result.scalars())


async def reschedule(
    session: AsyncSession,
    row_id: int,
    *,
    not_before: datetime,
    error: str | None = None,
    count_attempt: bool = True,
) -> OutboxMessage | None:
    """Try again at `not_before`. A 429 passes count_attempt=False: waiting out Telegram's
    flood control is not a failure of the message and must not use up its retries."""
    values: dict[str, Any] = {
        "not_before": not_before,
        "claimed_until": None,
        "claimed_by": None,
    }
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    if error is not None:
        values["last_error"] = error[:_ERROR_LENGTH]
    return await _update_pending(session, row_id, values)


async def mark_dead(session: AsyncSession, row_id: int, *, reason: str) -> OutboxMessage | None:
    """The row will never be sent (blocked, bad request, retries used up)."""
    return await _update_pending(
        session,
        row_id,
        {
            "status": DEAD,
            "attempts": OutboxMessage.attempts + 1,
            "last_error": reason[:_ERROR_LENGTH],
            "claimed_until": None,
            "claimed_by": None,
            **_FORGET,
        },
    )


async def release(session: AsyncSession, row_ids: Collection[int], *, worker_id: str) -> int:
    """Give claimed rows back untouched (not sent this pass: budget, priority, shutdown)."""
    if not row_ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(row_ids)),
            OutboxMessage.status == PENDING,
            OutboxMessage.claimed_by == worker_id,
        )
        .values(claimed_until=None, claimed_by=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_worker(session: AsyncSession, *, worker_id: str) -> int:
    """Give back every pending row this worker still holds (on a graceful stop)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.claimed_by == worker_id)
        .values(claimed_until=None, claimed_by=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def attempt(
    row_id: int,
    *,
    at: datetime,
    outcome: str,
    error_code: int | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """A delivery_attempts row, for `record_attempts`."""
    return {
        "outbox_id": row_id,
        "at": at,
        "outcome": outcome[:_OUTCOME_LENGTH],
        "error_code": error_code,
        "detail": detail[:_ERROR_LENGTH] if detail is not None else None,
    }


async def record_attempts(session: AsyncSession, attempts: list[dict[str, Any]]) -> None:
    """Rows made by `attempt`, in one statement."""
    if attempts:
        await session.execute(_INSERT_ATTEMPT, attempts)


async def record_attempt(
    session: AsyncSession,
    row_id: int,
    *,
    at: datetime,
    outcome: str,
    error_code: int | None = None,
    detail: str | None = None,
) -> None:
    await record_attempts(
        session, [attempt(row_id, at=at, outcome=outcome, error_code=error_code, detail=detail)]
    )


async def mark_chat_unreachable(session: AsyncSession, recipient_id: int, *, now: datetime) -> bool:
    """Note a 403 on the user's row (the recipient as rows name them), if we know them; True
    if a row changed. To the day: storage/identity.day.

    Kept beside the outbox because only delivery learns this; the user's next message clears
    it (storage/repositories/users.py)."""
    result = await session.execute(
        update(User).where(User.id == recipient_id).values(unreachable_at=day(now))
    )
    return bool(getattr(result, "rowcount", 0))


async def forget_recipient(session: AsyncSession, recipient_id: int) -> int:
    """/hapusdata: nothing more goes to this person, and no row says it was for them. What
    was still queued is cancelled (one being sent right now still lands, once)."""
    await write_held(session)  # a reply queued before in this update is cancelled too
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_id == recipient_id)
        .values(
            status=case((OutboxMessage.status == PENDING, CANCELLED), else_=OutboxMessage.status),
            payload=None,
            recipient_id=None,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_report_rows(session: AsyncSession, report_ids: Collection[int]) -> int:
    """RETENTION: a case's rows keep neither payload nor resident recipient, and what was
    still queued (there should be nothing, long after closing) is cancelled."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.report_id.in_(list(report_ids)))
        .values(
            status=case((OutboxMessage.status == PENDING, CANCELLED), else_=OutboxMessage.status),
            payload=None,
            recipient_id=_FORGET["recipient_id"],
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_done_residents(session: AsyncSession) -> int:
    """Rows to residents that are over (cancelled along the way, or from before rows forgot
    as they were sent) keep neither payload nor recipient: see _FORGET."""
    result = await session.execute(
        update(OutboxMessage)
        .where(_TO_RESIDENT, OutboxMessage.status != PENDING)
        .values(payload=None, recipient_id=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def pending_count_by_lane(session: AsyncSession) -> dict[int, int]:
    """Pending rows per lane (due or not), for metrics. Lanes with none are left out."""
    result = await session.execute(
        select(OutboxMessage.lane, func.count())
        .where(OutboxMessage.status == PENDING)
        .group_by(OutboxMessage.lane)
    )
    return {int(lane): int(count) for lane, count in result.tuples()}


async def bring_forward(session: AsyncSession, row_ids: Collection[int], *, now: datetime) -> int:
    """Make rows that were pushed back due now (after an outage ends, so they do not wait
    out their own backoff behind rows that never failed)."""
    if not row_ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(row_ids)),
            OutboxMessage.status == PENDING,
            OutboxMessage.not_before > now,
        )
        .values(not_before=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _next_due_statement() -> Select[tuple[int, Any, Any]]:
    """Built once (an idle sender asks after a pass): parameters now and exclude."""
    outbox = _TABLE.c
    now: BindParameter[datetime] = bindparam("now")
    live_claim = and_(
        outbox.claimed_until.is_not(None),
        outbox.claimed_until >= now,
        outbox.claimed_until > outbox.not_before,
    )
    claimable_at = case((live_claim, outbox.claimed_until), else_=outbox.not_before)
    # The earliest outside the chats left out (they wait for their turn); the latest of all:
    # a row rescheduled in a chat that waits is due later too.
    elsewhere = outbox.recipient_id.not_in(bindparam("exclude", expanding=True))
    return (
        select(outbox.lane, func.min(case((elsewhere, claimable_at))), func.max(claimable_at))
        .where(outbox.status == PENDING)
        .group_by(outbox.lane)
    )


_NEXT_DUE = _next_due_statement()


@dataclass(frozen=True)
class Due:
    """Per lane, when its earliest pending row outside the chats left out becomes claimable
    (a row's not_before, or the end of another sender's live claim on it); and when the
    latest pending row of all does (None: nothing pending)."""

    earliest: dict[int, datetime]
    latest: datetime | None

    def all_due_by(self, moment: datetime) -> bool:
        """Nothing pending waits for a later moment or for another sender's claim."""
        return self.latest is None or self.latest <= moment


async def next_due_by_lane(
    session: AsyncSession, *, now: datetime, exclude_chats: Collection[int] = ()
) -> Due:
    """When each lane's pending rows become claimable, so an idle sender sleeps exactly
    until the earliest (and knows whether any waits beyond `now`)."""
    result = await session.execute(_NEXT_DUE, {"now": now, "exclude": list(exclude_chats)})
    earliest: dict[int, datetime] = {}
    latest: datetime | None = None
    for lane, first, last in result.tuples():
        if first is not None:
            earliest[int(lane)] = _as_utc(first)
        last_at = _as_utc(last)
        latest = last_at if latest is None else max(latest, last_at)
    return Due(earliest, latest)


def _as_utc(moment: datetime | str) -> datetime:
    # min() over a CASE loses the column type on SQLite, which then hands back text.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def cancel_pending(
    session: AsyncSession, *, report_ids: Collection[int], kinds: Collection[str]
) -> None:
    """Rows of `kinds` about these reports that were not sent yet stay unsent (a row being
    sent right now is left to its sender)."""
    if not report_ids:
        return
    await write_held(session)
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.report_id.in_(list(report_ids)),
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.status == PENDING,
            OutboxMessage.claimed_until.is_(None),
        )
        .values(status="cancelled")
    )
