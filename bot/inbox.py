"""The durable inbox: every update is stored before Telegram is told it arrived, and handled
from the database, in each person's order, by any instance.

Receiving (bot/webhook.py, bot/polling.py) calls `Inbox.store` and only then answers 200 or
asks for the next offset: an update Telegram considers delivered is always in the database.
Handling is this worker's: it claims due rows with a lease, never a row whose person has an
earlier update still pending, and feeds each to the dispatcher (several people at once,
`concurrency` at most). An update it stores itself is claimed by the same statement when it
may go at once, so the common case costs one transaction and two statements per update (the
store, and marking it handled). On SQLite, where this instance is the only one, the store also
takes what it has no room for yet (when the person has nothing else pending): it waits here,
claimed, and starts as a handler finishes, with no claim of its own. The update's own
transaction marks the row handled (bot/middlewares/database.py), so an update is handled to
completion once as far as the database is concerned. A lease that runs out (the instance
died) lets another instance take the row over; a live handler keeps its lease by a heartbeat.

A failure rolls the update back and is tried again (at once, then after 2, 5 and 15 s); the
person hears nothing until the last attempt, whose failure gets the usual apology
(bot/errors.py) and parks the row: kept for an operator, counted in /metrics, no longer
holding back the person's next updates. A failure after the commit (a reply Telegram refused)
is not retried: what the person entered is stored, and they are told at once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import Clock
from storage.db import write_transaction
from storage.identity import chat_key, hour
from storage.repositories import inbox as rows
from storage.repositories.inbox import Claimed

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 5
# After the 1st, 2nd, 3rd and 4th failure: a hiccup of the database or of Telegram (a reply
# refused with 5xx) is over by then; a bug costs the person about 22 s before the apology.
RETRY_AFTER = (0.0, 2.0, 5.0, 15.0)
CONCURRENCY = 32
# Updates stored by this instance wait here for its own claim, so the worker need not read,
# decrypt and parse them again; those another instance claims fall out the old end.
_KEPT_PARSED = 1000
# SQLite: updates the store takes beyond the room, waiting in memory for a slot; past this
# many (a backlog after an outage) the rest wait in the database, as on PostgreSQL.
_KEPT_TAKEN = 1000


class UpdateTakenOver(Exception):
    """This instance's lease had run out and another instance handled the update meanwhile:
    this handling must not count (its transaction rolls back)."""


@dataclass
class InboxDelivery:
    """One inbox row being handled, as the update's middlewares see it (the `inbox` entry of
    the dispatcher's data): the database middleware marks the row handled and says so here,
    and the error handler reads whether a failure is the last one."""

    row_id: int
    update_id: int
    final: bool
    done_at: datetime
    committed: bool = False
    taken_over: bool = False


@dataclass
class InboxCounters:
    stored: int = 0
    handled: int = 0
    retried: int = 0
    parked: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _InFlight:
    task: asyncio.Task[None]
    lease_from: datetime


@dataclass
class _Taken:
    """A row the store took, claimed and not started yet: at once if there is room, else
    (SQLite) when a handler finishes."""

    row: Claimed
    update: Update
    claimed_at: datetime


@dataclass
class _Batch:
    """What one claim took: rows to handle (with the updates this instance kept parsed, or
    the stored ones), and rows given up on."""

    now: datetime
    claimed: list[Claimed] = field(default_factory=list)
    worn_out: list[Claimed] = field(default_factory=list)
    parsed: dict[int, Update | None] = field(default_factory=dict)
    stored: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _ParsedUpdates:
    """Updates this instance stored, by update id, until its worker claims them."""

    entries: collections.OrderedDict[int, Update] = field(default_factory=collections.OrderedDict)

    def put(self, update: Update) -> None:
        self.entries[update.update_id] = update
        while len(self.entries) > _KEPT_PARSED:
            self.entries.popitem(last=False)

    def take(self, update_id: int) -> Update | None:
        return self.entries.pop(update_id, None)


def person_of(update: Update) -> int:
    """Whose update this is, for ordering: the user as storage/identity.chat_key names people
    (a pseudonym, never a Telegram id); else the chat; 0 for neither."""
    context = UserContextMiddleware.resolve_event_context(update)
    if context.user is not None:
        return chat_key(context.user.id)
    if context.chat is not None:
        return chat_key(context.chat.id)
    return 0


def kind_of(update: Update | None) -> str:
    """The update's type for a log line (its content never goes there)."""
    if update is None:
        return "unknown"
    try:
        return update.event_type
    except Exception:  # a type newer than aiogram
        return "unknown"


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """When to try again after the `attempts`-th failure; with jitter, so that updates failed
    together (a database restart) do not all come back in the same instant."""
    base = RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1]
    return timedelta(seconds=base * rng.uniform(1.0, 1.25))


class Inbox:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        lease: timedelta = LEASE,
        concurrency: int = CONCURRENCY,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._dispatcher = dispatcher
        self._bot = bot
        self._sessions = session_factory
        self._clock = clock
        self.lease = lease
        # How many updates are handled at once (the rest wait, in the database or taken).
        self.concurrency = concurrency
        self._max_attempts = max_attempts
        # Unique per Inbox, not only per process: tests run several services in one.
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[-64:]
        self.counters = InboxCounters()
        self._parsed = _ParsedUpdates()
        self._in_flight: dict[int, _InFlight] = {}
        # Rows the store took and has not started (on SQLite, those beyond the room), in order.
        self._taken: collections.deque[_Taken] = collections.deque()
        self._wake = asyncio.Event()
        # One claim at a time (the worker's, or one riding along with a store), so that two
        # never count the same free slots.
        self._claiming = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._closed = False
        self._renewing = True
        self._saturated = False
        self._rng = random.Random()

    # --- receiving ------------------------------------------------------------------------

    async def store(self, received: Sequence[tuple[Update, dict[str, Any]]]) -> set[int]:
        """Store updates (each with its JSON as Telegram sent it) and commit; returns the
        update ids that were new. Raises if the database cannot take them: the caller must
        then not confirm them to Telegram."""
        if not received:
            return set()
        now = self._clock.now()
        values = [
            rows.new_row(self._bot.id, update.update_id, person_of(update), payload, hour(now))
            for update, payload in received
        ]
        fresh: set[int] = set()
        taken: list[tuple[Claimed, Update]] = []
        left_for_room = False
        async with self._claiming:
            # A turn before queued updates (on SQLite): receiving is short and feeds them all.
            async with write_transaction(self._sessions, priority=True, short=True) as session:
                room = self._room()
                beyond_room = self._takes_beyond_room()
                for (update, _), row in zip(received, values, strict=True):
                    take = room > 0 or (beyond_room and len(self._taken) + len(taken) < _KEPT_TAKEN)
                    stored = await rows.store_and_take(
                        session, row, take=take, worker_id=self.worker_id, until=now + self.lease
                    )
                    if stored is False:
                        continue  # delivered before
                    fresh.add(update.update_id)
                    if isinstance(stored, Claimed):
                        room -= 1
                        taken.append((stored, update))
                    elif not take:
                        left_for_room = True
            # Committed. What was not taken waits for a claim: behind the person's earlier
            # update, or for room.
            taken_ids = {claimed.update_id for claimed, _ in taken}
            for update, _ in received:
                if update.update_id in fresh and update.update_id not in taken_ids:
                    self._parsed.put(update)
            if left_for_room:
                self._saturated = True
            for claimed, update in taken:
                self._taken.append(_Taken(claimed, update, now))
            self._start_taken()
        if fresh:
            self.counters.stored += len(fresh)
            if not self.running:
                self.wake()
        return fresh

    def _room(self) -> int:
        """How many more updates this worker may take on now (none once it is stopping: read
        after a claim's turn at the database came, so a stop meanwhile is seen)."""
        if not self.running or self._stopping:
            return 0
        return max(self.concurrency - len(self._in_flight) - len(self._taken), 0)

    def _takes_beyond_room(self) -> bool:
        """On SQLite the store takes every update it may, room or not: no other instance
        could take it meanwhile, and a claim of its own later cost a transaction and a turn
        at SQLite's write lock (with 50 people reporting at once, a third of a claim per
        update: README, "Benchmarks"). Elsewhere other instances may have room."""
        return not self._renewing and self.running and not self._stopping

    def _start_taken(self) -> None:
        """Start what the store took, as far as there is room."""
        while self._taken and self.running and not self._stopping:
            if len(self._in_flight) >= self.concurrency:
                return
            taken = self._taken.popleft()
            self._start_one(taken.row, taken.update, taken.claimed_at)

    # --- the worker -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def start(self) -> None:
        # One process per SQLite file (storage/instance_lock.py): claims left in it are a dead
        # process's and need not wait out their lease, and no other instance can take a row
        # over, so a lease needs no renewing (which would wait for the write lock that a long
        # handler holds).
        self._renewing = not self._sqlite()
        if not self._renewing:
            async with write_transaction(self._sessions) as session:
                released = await rows.release_all(session)
            if released:
                log.info("inbox: %s updates of a previous run to handle again", released)
        self._stopping = self._closed = False
        self._task = asyncio.create_task(self._run(), name="inbox worker")
        self.wake()  # what was stored before the start, or left by the last run

    def wake(self) -> None:
        self._wake.set()

    async def tick(self) -> None:
        """The scheduler's tick: rows stored by other instances, leases that ran out, retries
        that fell due."""
        self.wake()

    async def stop(self, patience: float = 10.0, *, hand_back: bool = True) -> None:
        """Claim nothing more, let updates in flight finish for up to `patience` seconds,
        cancel the rest (their transactions roll back) and give every row still held back to
        the inbox, for another instance or the next start. `hand_back=False` stops as a
        killed process would (at once, claims left to expire): for failure drills and tests."""
        if self._task is None:
            return  # never started, or stopped already
        self._stopping = True  # from here on nothing is claimed or taken
        self.wake()
        if hand_back and self._in_flight:
            log.info("inbox: waiting for %s updates in flight", len(self._in_flight))
            await self._drain(patience)
        cancelled = await self._cancel_in_flight()
        # A store or claim already under way may still start what it took: once it is done
        # (its turn at the database comes, now that no handler holds one), cut that short too.
        async with self._claiming:
            cancelled += await self._cancel_in_flight()
        # Taken but never started: handed back below with the rest (or, as a killed process
        # would, left claimed for the next start to release).
        self._taken.clear()
        self._closed = True
        self.wake()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if hand_back:
            await self._hand_back(cancelled)

    async def _drain(self, patience: float) -> None:
        """Wait up to `patience` seconds for the updates in flight, including any started
        meanwhile."""
        deadline = asyncio.get_running_loop().time() + patience
        while self._in_flight:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            await asyncio.wait([entry.task for entry in self._in_flight.values()], timeout=left)

    async def _cancel_in_flight(self) -> int:
        tasks = [entry.task for entry in self._in_flight.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(tasks)

    async def _hand_back(self, cancelled: int) -> None:
        try:
            async with write_transaction(self._sessions) as session:
                released = await rows.release(session, worker_id=self.worker_id)
        except Exception as error:
            log.warning("inbox: could not give back claims (%s); they expire", type(error).__name__)
            return
        if released or cancelled:
            log.info("inbox: gave back %s updates (%s cut short)", released, cancelled)

    async def _run(self) -> None:
        # Heartbeats need the loop to turn even when nothing wakes it.
        interval = self.lease.total_seconds() / 3
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                await self._renew_leases()
                if not self._stopping:
                    await self._claim_and_start()
            except Exception as error:
                # The next tick tries again; the rows stay in the database meanwhile.
                log.warning("inbox: claiming failed with %s", type(error).__name__)

    async def _renew_leases(self) -> None:
        if not self._in_flight or not self._renewing:
            return
        now = self._clock.now()
        oldest = min(entry.lease_from for entry in self._in_flight.values())
        if now - oldest < self.lease / 3:
            return
        async with write_transaction(self._sessions, priority=True) as session:
            await rows.heartbeat(session, worker_id=self.worker_id, until=now + self.lease)
        for entry in self._in_flight.values():
            entry.lease_from = now

    async def _claim_and_start(self) -> None:
        async with self._claiming:
            if self.concurrency <= len(self._in_flight):
                self._saturated = True
                return
            async with write_transaction(self._sessions, priority=True, short=True) as session:
                batch = await self._claim(session)
            self._start(batch)

    async def _claim(self, session: AsyncSession) -> _Batch:
        """Claim what this worker has room for, in the caller's transaction."""
        free = self._room()
        now = self._clock.now()
        if free <= 0:
            self._saturated = not self._stopping
            return _Batch(now)
        claimed = await rows.claim(
            session,
            bot_id=self._bot.id,
            now=now,
            lease=self.lease,
            worker_id=self.worker_id,
            limit=free,
            # Also those taken and not started: their lease may run out while they wait.
            exclude=[*self._in_flight, *(taken.row.id for taken in self._taken)],
        )
        self._saturated = len(claimed) == free
        batch = _Batch(now)
        for row in claimed:
            if row.attempts > self._max_attempts:
                await rows.park(session, row.id, worker_id=self.worker_id)
                batch.worn_out.append(row)
            else:
                batch.parsed[row.id] = self._parsed.take(row.update_id)
                batch.claimed.append(row)
        missing = [row_id for row_id, update in batch.parsed.items() if update is None]
        batch.stored = await rows.payloads(session, missing)
        return batch

    def _start(self, batch: _Batch) -> None:
        """Handle what was claimed (once its transaction committed)."""
        for row in batch.worn_out:
            self._parked(row, "its handlers never finished", "unknown")
        for row in batch.claimed:
            update = batch.parsed[row.id] or self._parse(row, batch.stored.get(row.id))
            self._start_one(row, update, batch.now)

    def _start_one(self, row: Claimed, update: Update | None, claimed_at: datetime) -> None:
        task = asyncio.create_task(self._handle(row, update), name=f"update {row.update_id}")
        self._in_flight[row.id] = _InFlight(task, claimed_at)

    def _parse(self, row: Claimed, payload: dict[str, Any] | None) -> Update | None:
        if payload is None:
            return None
        try:
            return Update.model_validate(payload, context={"bot": self._bot})
        except ValueError as error:
            log.error("inbox: update %s cannot be read (%s)", row.update_id, type(error).__name__)
            return None

    async def _handle(self, row: Claimed, update: Update | None) -> None:
        delivery = InboxDelivery(
            row.id,
            row.update_id,
            final=row.attempts >= self._max_attempts,
            done_at=hour(self._clock.now()),
        )
        try:
            if update is not None:
                await self._feed(update, delivery)
            if delivery.committed:
                self.counters.handled += 1
            elif not delivery.taken_over:
                await self._failed(row, update)
        finally:
            self._in_flight.pop(row.id, None)
            self._start_taken()
            if self._worth_claiming():
                self.wake()

    def _worth_claiming(self) -> bool:
        """Whether a handler that just finished should make the worker claim again at once
        rather than at the next tick: the person's next update may be waiting for it. On
        SQLite this instance stored every row, so it knows: rows it stored and has not
        claimed (held back behind their person's earlier ones), or a claim that filled every
        slot. A claim costs a turn at SQLite's write lock, so none is made for nothing."""
        if self._renewing:  # PostgreSQL: other instances store rows too
            return True
        return self._saturated or bool(self._parsed.entries)

    async def _feed(self, update: Update, delivery: InboxDelivery) -> None:
        dispatcher, bot = self._dispatcher, self._bot
        try:
            result = await dispatcher.feed_update(bot, update, inbox=delivery)
            if isinstance(result, TelegramMethod):
                await dispatcher.silent_call_request(bot=bot, result=result)
        except Exception as error:
            # The error handler has logged and answered what it handles; only the type here.
            log.warning("inbox: update %s failed with %s", update.update_id, type(error).__name__)

    async def _failed(self, row: Claimed, update: Update | None) -> None:
        """Rolled back (or never read): try again later, or park it after the last attempt."""
        try:
            if update is None or row.attempts >= self._max_attempts:
                async with write_transaction(self._sessions) as session:
                    parked = await rows.park(session, row.id, worker_id=self.worker_id)
                if parked:
                    why = "unreadable" if update is None else "every attempt failed"
                    self._parked(row, why, kind_of(update))
                return
            delay = retry_delay(row.attempts, self._rng)
            async with write_transaction(self._sessions) as session:
                await rows.retry_later(
                    session,
                    row.id,
                    worker_id=self.worker_id,
                    not_before=self._clock.now() + delay,
                )
        except Exception as error:
            # Left claimed: another attempt follows when the lease runs out.
            log.warning("inbox: could not record the failure (%s)", type(error).__name__)
            return
        self.counters.retried += 1
        if not delay:
            self.wake()
        log.info(
            "inbox: update %s (%s) failed (attempt %s of %s); again in %.1fs",
            row.update_id,
            kind_of(update),
            row.attempts,
            self._max_attempts,
            delay.total_seconds(),
        )

    def _parked(self, row: Claimed, why: str, kind: str) -> None:
        self.counters.parked += 1
        log.error(
            "inbox: update %s (%s) parked after %s attempts: %s",
            row.update_id,
            kind,
            row.attempts,
            why,
        )

    def _sqlite(self) -> bool:
        engine = self._sessions.kw.get("bind")
        return engine is not None and engine.dialect.name == "sqlite"


__all__ = [
    "LEASE",
    "MAX_ATTEMPTS",
    "Inbox",
    "InboxCounters",
    "InboxDelivery",
    "UpdateTakenOver",
    "kind_of",
    "person_of",
    "retry_delay",
]
