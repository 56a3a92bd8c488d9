"""The sender: the one owner of the Telegram rate budget, delivering outbox rows by lane.

Why it is built the way it is:

- It calls the session's transport (`bot.session.make_request`) directly, past the request
  middlewares. RetryAfterMiddleware would sleep out a 429 inside the sender and hold up every
  other chat with it; the sender pauses only the chat that was told off and reschedules the
  row. SentMessagesMiddleware would remember message ids in a second transaction; the sender
  remembers them (for /hapus) in the transaction that marks the row sent. So the bot of
  bot/app.py can be shared: nothing of its middlewares runs here.
- Lanes: every pass claims due rows lane first and sends them in waves, one lane after the
  other. Broadcasts (lane 3) are claimed last, only with the budget the others left and never
  the reserve kept for alerts, and a pass drops its broadcast wave when new rows were
  committed meanwhile: an alert arriving during a broadcast goes out next.
- At least once, and only once in practice: the rows Telegram accepted are marked sent in one
  transaction when their wave is done (one commit a wave, not one a message: a burst of
  Kirims waits for the sender's turns). Were the process to die between Telegram's answer and
  that commit, the row's claim would run out after `lease` (30 s) and another sender would
  send it again; that window, the rest of the wave's requests plus one commit, is the only way
  a message can arrive twice. Requests time out (10 s) well within the lease, so a live
  sender never loses its claim mid-send.
- Outages (5xx, network errors, timeouts) open a breaker: nothing is sent for a backoff that
  doubles (1 s, 2 s, 4 s ... 60 s, with jitter), then one message, the most urgent, probes;
  when it gets through, everything pending goes out again, lane by lane. Alerts and relays are
  retried for as long as it takes; notices and broadcasts give up after `max_attempts`.
- ALERT_PAID_BROADCAST: a pass that finds the bot-wide window full claims alerts only and
  sends them with allow_paid_broadcast (past Telegram's ~30 a second, for Stars). Nothing
  else is paid for, and nothing while the free window has room. A refusal (no Stars) sends
  the alert unpaid instead, never dead-letters it.
- Several senders may run against one PostgreSQL database (claims use SKIP LOCKED), but each
  keeps its own budget: run one per bot token to stay under Telegram's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery_outcome import (
    API_ERROR,
    BAD_REQUEST,
    EXHAUSTED,
    FORBIDDEN,
    INTERNAL_ERROR,
    INVALID_PAYLOAD,
    NETWORK_ERROR,
    NOT_FROM_TELEGRAM,
    RETRY_AFTER,
    SENT,
    SERVER_ERROR,
    Outcome,
    classify,
    sent_outcome,
)
from bot.outbox_methods import PayloadError, build_method, combinable, combined_payload, pack
from bot.send_budget import RateBudget, SenderLimits
from services.clock import Clock
from services.outbox import LANE_ALERT, LANE_BROADCAST, LANE_RELAY, DeliveryHooks
from storage.db import write_turns, writers_waiting
from storage.models import OutboxMessage
from storage.repositories import outbox as repo
from storage.repositories.messages import ChatMessageRepo

log = logging.getLogger(__name__)

# While updates queue for SQLite's write lock (a burst of Kirims), the sender claims only
# alerts, so confirmations, notices and broadcasts do not put their turns between the
# reports and their alerts; for at most this long, so they are never starved.
YIELD_LIMIT = 2.0
# How often a yielding sender looks again whether the updates are done.
YIELD_POLL = 0.1

__all__ = ["RetryPolicy", "Sender", "SenderCounters", "SenderLimits"]


# How long a handler's own message may wait for room in the bot-wide window (seconds).
DIRECT_PATIENCE = 2.0


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for transient failures; tests shrink the delays."""

    base_delay: float = 1.0
    max_delay: float = 60.0
    # Each delay is cut by up to this fraction, so several senders do not retry in step.
    jitter: float = 0.3
    # Lanes 2-3 only: alerts and relays must never be lost to an outage.
    max_attempts: int = 12
    # After this many failures of its own a row also backs off by itself, so one message
    # Telegram keeps failing on cannot be the probe, and stall the rest, forever.
    own_backoff_after: int = 3

    def delay(self, failures: int, rng: random.Random) -> float:
        raw = min(self.max_delay, self.base_delay * 2.0 ** max(0, failures - 1))
        return raw * (1.0 - self.jitter * rng.random())


@dataclass
class SenderCounters:
    """Totals since start, for metrics. `sent` counts rows; `messages` Telegram messages."""

    sent: int = 0
    messages: int = 0
    combined: int = 0
    rate_limited: int = 0
    forbidden: int = 0
    server_errors: int = 0
    network_errors: int = 0
    dead: int = 0
    # Messages sent as paid broadcasts (ALERT_PAID_BROADCAST): 0.1 Telegram Stars each.
    paid: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Breaker:
    """Open after a transient failure; half-open (one probe) once the backoff is over."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self.failures = 0
        self.open_until = 0.0

    def is_open(self, now: float) -> bool:
        return now < self.open_until

    def probing(self, now: float) -> bool:
        return self.failures > 0 and not self.is_open(now)

    def failure(self, now: float) -> float:
        # Sends that were already in flight when the first one failed do not count again.
        if not self.is_open(now):
            self.failures += 1
            self.open_until = now + self._policy.delay(self.failures, self._rng)
        return self.open_until

    def success(self) -> bool:
        """Close; True if it had been open (an outage just ended)."""
        was_failing = self.failures > 0
        self.failures = 0
        self.open_until = 0.0
        return was_failing


@dataclass
class _Unit:
    """One Telegram call: a row, or several alerts combined into one message."""

    rows: list[OutboxMessage]
    payload: dict[str, Any]
    # Sent with allow_paid_broadcast, outside the bot-wide window (alerts only).
    paid: bool = False

    @property
    def chat_id(self) -> int:
        return self.rows[0].chat_id

    @property
    def lane(self) -> int:
        return self.rows[0].lane

    @property
    def combined(self) -> bool:
        return len(self.rows) > 1


def _worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class Sender:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        hooks: DeliveryHooks,
        clock: Clock,
        limits: SenderLimits | None = None,
        *,
        broadcast_rate: float | None = None,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=30),
        request_timeout: int = 10,
        batch_size: int = 100,
        max_in_flight: int = 16,
        idle_poll: float = 1.0,
        stop_timeout: float = 15.0,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        limits = limits or SenderLimits()
        if broadcast_rate is not None:
            limits = SenderLimits(**{**asdict(limits), "broadcast_per_second": broadcast_rate})
        self.limits = limits
        self.worker_id = worker_id or _worker_id()
        self.counters = SenderCounters()
        self._bot = bot
        self._sessions = session_factory
        self._hooks = hooks
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._lease = lease
        self._request_timeout = request_timeout
        self._batch_size = batch_size
        self._idle_poll = idle_poll
        self._stop_timeout = stop_timeout
        self._rng = rng or random.Random()
        self._budget = RateBudget(limits, _seconds(clock.now()))
        self._breaker = _Breaker(self._retry, self._rng)
        self._in_flight = asyncio.Semaphore(max_in_flight)
        # One write transaction at a time: SQLite has one writer anyway, and the sends of a
        # wave do not take a pool connection each.
        self._db_lock = asyncio.Lock()
        self._yielding_since: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._pass_failed = False
        self._pushed_back: set[int] = set()
        self._probe_now = False
        self._no_combine: set[int] = set()
        # Telegram refused a paid broadcast: alerts wait for the free window again until the
        # bot restarts, unless the refused rows fail unpaid too (then it was the message).
        self._paid_refused = False
        self._refused_paid_rows: set[int] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name=f"sender {self.worker_id}")

    async def stop(self) -> None:
        """Finish the sends in flight, record them, and give back every claim."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), self._stop_timeout)
            except TimeoutError:
                log.warning("sender %s did not stop in time; cancelling it", self.worker_id)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._release_everything()

    def wake(self) -> None:
        """Call after committing outbox rows: the sender looks at once instead of at its next
        poll. Safe to call from any code on the sender's event loop, any number of times."""
        self._wake.set()

    def telegram_answered(self) -> None:
        """Telegram answered another request (the long poll): if an outage had opened the
        breaker, probe now instead of at the end of the backoff (the breaker's or the failed
        rows' own), which by then may be a minute long while alerts wait."""
        if self._breaker.failures and not self._probe_now:
            self._breaker.open_until = 0.0
            self._probe_now = True
            self.wake()

    async def send_elsewhere(self) -> None:
        """Count a message a handler sends itself in the bot-wide window and, while a
        broadcast fills that window, first wait for room: on top of a broadcast at its full
        rate a burst of replies went over Telegram's limit and got 429. Otherwise replies
        only count (residents pace them; alerts keep their reserve), and never wait longer
        than DIRECT_PATIENCE: past that, Telegram decides (and the retry middleware waits)."""
        give_up = _seconds(self._clock.now()) + DIRECT_PATIENCE
        while True:
            moment = _seconds(self._clock.now())
            room = self._budget.global_sends(moment) >= 1
            if room or not self._budget.broadcasting(moment) or moment >= give_up:
                self._budget.take_elsewhere(moment)
                return
            ready = self._budget.next_send_at(moment, broadcast=False)
            await asyncio.sleep(min(max(ready - moment, 0.005), give_up - moment))

    async def pending_by_lane(self) -> dict[int, int]:
        async with self._sessions() as session:
            return await repo.pending_count_by_lane(session)

    # --- the loop -------------------------------------------------------------------------

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self.run_once()
                # Woken during the pass (a Kirim committed its alert): go again at once,
                # without asking the database when the next row is due.
                delay = 0.0 if self._wake.is_set() else await self._idle_delay()
                failures = 0
            except Exception:
                # The database is away (or a hook is broken): keep trying, slower and slower.
                failures += 1
                delay = self._retry.delay(failures, self._rng)
                log.exception("outbox pass failed; next try in %.1fs", delay)
            if not self._stopping:
                await self._sleep(delay)

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(delay, 0.0))

    async def _idle_delay(self) -> float:
        """Until something can be sent: a budget refill, a deferred row, a chat's turn."""
        now = self._clock.now()
        moment = _seconds(now)
        resume = max(self._breaker.open_until, self._budget.paused_until())
        if resume > moment:
            return min(resume - moment, self._idle_poll)
        waiting = self._budget.waiting_chats(moment)
        async with self._sessions() as session:
            due = await repo.next_due_by_lane(session, now=now, exclude_chats=waiting)
        candidates = [moment + self._idle_poll, *waiting.values()]
        if self._yielding_since is not None and moment - self._yielding_since < YIELD_LIMIT:
            # Rows of the lanes held back are due, but must wait for the updates (or the
            # limit): look again soon rather than spin. New alerts wake the sender anyway.
            due = {lane: at for lane, at in due.items() if lane <= LANE_ALERT}
            candidates.append(moment + YIELD_POLL)
        paying = self._paying(moment)
        for lane, at in due.items():
            budget_at = self._budget.next_send_at(moment, broadcast=lane >= LANE_BROADCAST)
            if paying and lane <= LANE_ALERT:
                budget_at = moment  # a paid broadcast need not wait for the window
            candidates.append(max(_seconds(at), budget_at))
        # Never a busy loop, even when a computed moment is already past.
        return max(min(candidates) - moment, 0.005)

    # --- one pass -------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim what is due and may be sent now, send it, record it; returns rows sent."""
        self._wake.clear()
        self._pass_failed = False
        now = self._clock.now()
        moment = _seconds(now)
        if self._stopping or self._breaker.is_open(moment):
            return 0
        if self._probe_now:
            # The rows that failed were pushed back to the end of the backoff: due now, so
            # the most urgent of them can probe.
            self._probe_now = False
            async with self._transaction() as session:
                await repo.bring_forward(session, self._pushed_back, now=now)
        limit = 1 if self._breaker.probing(moment) else self._budget.global_sends(moment)
        limit = min(limit, self._batch_size)
        paid = False
        if limit < 1 and self._paying(moment):
            # The bot-wide window is full: alerts go now as paid broadcasts, nothing else does.
            limit, paid = min(self._budget.paid_sends(moment), self._batch_size), True
        if limit < 1:
            return 0
        rows = await self._claim(limit, alerts_only=paid)
        if not rows:
            return 0
        units, held = self._plan(rows, moment)
        for unit in units:
            unit.paid = paid
        await self._release(held)
        return await self._deliver(units)

    def _paying(self, moment: float) -> bool:
        return (
            self.limits.paid_alerts
            and not self._paid_refused
            and not self._breaker.probing(moment)
            and self._budget.paid_sends(moment) >= 1
        )

    def _yield_to_updates(self, moment: float) -> bool:
        if writers_waiting(self._sessions) == 0:
            self._yielding_since = None
            return False
        if self._yielding_since is None:
            self._yielding_since = moment
        return moment - self._yielding_since < YIELD_LIMIT

    async def _claim(self, limit: int, *, alerts_only: bool = False) -> list[OutboxMessage]:
        async with self._transaction() as session:
            # Read the clock once the turn is ours: rows committed while this claim waited
            # for it (the alert of the update before) are due too, not left for a pass later.
            now = self._clock.now()
            moment = _seconds(now)
            waiting = self._budget.waiting_chats(moment)
            alerts_only = self._yield_to_updates(moment) or alerts_only
            rows = await self._claim_lanes(
                session, now, limit, waiting, broadcasts=False, alerts_only=alerts_only
            )
            rows = await self._without_withheld(session, rows)
            if alerts_only:
                return rows
            spare = self._budget.broadcast_sends(moment, planned=len(rows))
            spare = min(limit - len(rows), spare)
            if spare > 0:
                rows += await self._claim_lanes(session, now, spare, waiting, broadcasts=True)
        return rows

    async def _without_withheld(
        self, session: AsyncSession, rows: list[OutboxMessage]
    ) -> list[OutboxMessage]:
        """The rules' last word before a send (a case message to someone who may no longer see
        the case is cancelled): asked in the claim's transaction, so nothing changes between."""
        if not rows:
            return rows
        withheld = await self._hooks.withheld(session, rows)
        for row_id in sorted(withheld):
            log.info("outbox %s: withheld by the rules, not sent", row_id)
        return [row for row in rows if row.id not in withheld]

    async def _claim_lanes(
        self,
        session: AsyncSession,
        now: datetime,
        limit: int,
        waiting: Iterable[int],
        *,
        broadcasts: bool,
        alerts_only: bool = False,
    ) -> list[OutboxMessage]:
        top = LANE_ALERT if alerts_only else LANE_BROADCAST - 1
        return await repo.claim_due(
            session,
            now=now,
            limit=limit,
            worker_id=self.worker_id,
            lease=self._lease,
            min_lane=LANE_BROADCAST if broadcasts else None,
            max_lane=None if broadcasts else top,
            exclude_chats=list(waiting),
        )

    def _plan(self, rows: list[OutboxMessage], moment: float) -> tuple[list[_Unit], list[int]]:
        """Units to send now, within each chat's budget, and the row ids held back."""
        by_chat: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)
        units: list[_Unit] = []
        held: list[int] = []
        for chat_id, chat_rows in by_chat.items():
            allowed = self._budget.chat_sends(chat_id, moment)
            chat_units = self._units_for(chat_rows, allowed)
            units += chat_units[:allowed]
            held += [row.id for unit in chat_units[allowed:] for row in unit.rows]
        units.sort(key=lambda unit: (unit.lane, unit.rows[0].id))
        return units, held

    def _units_for(self, rows: list[OutboxMessage], allowed: int) -> list[_Unit]:
        """One unit per row, except that alerts which would otherwise wait for this chat's
        budget share one message (PRODUCT.md: the last one must not queue behind the rest)."""
        alerts = [row for row in rows if combinable(row) and row.id not in self._no_combine]
        if len(alerts) < 2 or len(rows) <= allowed:
            return [_Unit([row], row.payload) for row in rows]
        groups = {group[0].id: group for group in pack(alerts)}
        grouped = {row.id for group in groups.values() for row in group}
        units: list[_Unit] = []
        for row in rows:
            if row.id in groups:
                group = groups[row.id]
                payload = combined_payload(group) if len(group) > 1 else row.payload
                units.append(_Unit(group, payload))
            elif row.id not in grouped:
                units.append(_Unit([row], row.payload))
        return units

    async def _deliver(self, units: list[_Unit]) -> int:
        """Lane by lane: nothing of a lower lane starts before the higher one is done."""
        sent = 0
        lanes = sorted({unit.lane for unit in units})
        for lane in lanes:
            if self._halted() or (lane >= LANE_BROADCAST and self._wake.is_set()):
                later = [row.id for unit in units if unit.lane >= lane for row in unit.rows]
                await self._release(later)
                break
            wave = [unit for unit in units if unit.lane == lane]
            sent += await self._send_wave(wave)
        return sent

    def _halted(self, chat_id: int | None = None) -> bool:
        moment = _seconds(self._clock.now())
        # After a transient failure the pass ends, even if the breaker's first backoff is
        # already over: the next pass probes with the most urgent row, not this pass's rest.
        if self._stopping or self._pass_failed or self._breaker.is_open(moment):
            return True
        return chat_id is not None and self._budget.chat_sends(chat_id, moment) < 1

    async def _send_wave(self, wave: list[_Unit]) -> int:
        by_chat: dict[int, list[_Unit]] = {}
        for unit in wave:
            by_chat.setdefault(unit.chat_id, []).append(unit)
        delivered: list[_Settled] = []
        try:
            results = await asyncio.gather(
                *(self._send_chat(units, delivered) for units in by_chat.values()),
                return_exceptions=True,
            )
        finally:
            # Even when a chat failed: what Telegram took must not be sent again.
            await self._record_delivered(delivered)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return sum(r for r in results if isinstance(r, int))

    async def _send_chat(self, units: list[_Unit], delivered: list[_Settled]) -> int:
        """One chat's units, in order; the rest waits when the chat or everything pauses."""
        sent = 0
        for index, unit in enumerate(units):
            if self._halted(unit.chat_id):
                await self._release([row.id for later in units[index:] for row in later.rows])
                break
            sent += await self._send_unit(unit, delivered)
        return sent

    async def _send_unit(self, unit: _Unit, delivered: list[_Settled]) -> int:
        outcome = await self._call_telegram(unit)
        await self._settle(unit, outcome, delivered)
        return len(unit.rows) if outcome.status == SENT else 0

    async def _call_telegram(self, unit: _Unit) -> Outcome:
        try:
            method = build_method(unit.payload, unit.chat_id, paid_broadcast=unit.paid)
        except PayloadError as error:
            return Outcome(INVALID_PAYLOAD, detail=str(error))
        async with self._in_flight:
            # Counted when it leaves, not when it was planned: a send that waited here for a
            # free slot (16 in flight) arrives that much later, and Telegram's window counts
            # arrivals. Counted at planning, the window emptied early and the next sends met
            # Telegram's window still full (429s, tests/delivery/test_paid_alerts.py).
            moment = _seconds(self._clock.now())
            if unit.paid:
                self._budget.take_paid(unit.chat_id, moment)
            else:
                self._budget.take(unit.chat_id, moment, broadcast=unit.lane >= LANE_BROADCAST)
            try:
                result = await self._bot.session.make_request(
                    self._bot, method, timeout=self._request_timeout
                )
            except Exception as error:
                outcome = classify(error, unit.payload)
                if outcome.status == API_ERROR:
                    log.error(
                        "Telegram refuses the bot (%s): check BOT_TOKEN and the API URL",
                        outcome.error_code,
                    )
                return outcome
            finally:
                self._budget.answered(moment, _seconds(self._clock.now()), paid=unit.paid)
        return sent_outcome(result, unit.payload, unit.chat_id)

    # --- outcomes -------------------------------------------------------------------------

    async def _settle(self, unit: _Unit, outcome: Outcome, delivered: list[_Settled]) -> None:
        """Update the budget and breaker, then record the outcome of every row in the unit:
        a delivery with the rest of its wave, anything else at once."""
        now = self._clock.now()
        outage_over = self._learn(unit, outcome, _seconds(now))
        if not unit.paid:
            self._learn_about_paid_refusal(unit, outcome)
        if outcome.status == SENT:
            delivered.append((unit, outcome, now))
        elif outcome.status == BAD_REQUEST and unit.paid:
            await self._paid_refused_by_telegram(unit, outcome, now)
        elif outcome.status == BAD_REQUEST and unit.combined:
            await self._split_combined(unit, outcome, now)
        else:
            await self._record(unit, outcome, now)
            self._count(unit, outcome)
            self._log(unit, outcome)
        if outage_over:
            await self._outage_over(now)

    def _learn(self, unit: _Unit, outcome: Outcome, moment: float) -> bool:
        """What the answer says about Telegram; True when it ends an outage."""
        if outcome.status == RETRY_AFTER:
            self._note_rate_limit(unit, moment, outcome.retry_after)
        elif outcome.transient:
            self._breaker.failure(moment)
            self._pass_failed = True
            # Otherwise a chat that was tried during the outage would wait its turn after it.
            if unit.paid:
                self._budget.give_back_paid(unit.chat_id, moment)
            else:
                self._budget.give_back(unit.chat_id, moment, broadcast=unit.lane >= LANE_BROADCAST)
        elif outcome.status not in NOT_FROM_TELEGRAM:
            # Any answer from Telegram but a failure means it is reachable again.
            return self._breaker.success()
        return False

    def _note_rate_limit(self, unit: _Unit, moment: float, retry_after: float) -> None:
        if self._budget.rate_limited(unit.chat_id, moment, retry_after):
            log.warning("429 from several chats at once: all sending paused %.0fs", retry_after)

    async def _outage_over(self, now: datetime) -> None:
        """Rows that backed off on their own during the outage are due again, so they go
        out lane by lane with the rest instead of waiting out their backoff."""
        pushed_back, self._pushed_back = self._pushed_back, set()
        async with self._transaction() as session:
            await repo.bring_forward(session, pushed_back, now=now)
        log.info("Telegram reachable again; sending what is pending")

    async def _paid_refused_by_telegram(self, unit: _Unit, outcome: Outcome, now: datetime) -> None:
        # Most likely not the alert's fault (no Stars on the bot's balance): it waits for the
        # free window like any other, and so do the rest. Sent unpaid, it tells which it was.
        self._paid_refused = True
        self._refused_paid_rows.update(row.id for row in unit.rows)
        await self._refused_for_now(unit, outcome, now, "paid broadcast refused", "sending unpaid")
        log.error(
            "Telegram refused a paid broadcast (%s): alerts wait for the free limit again; "
            "check the bot's Stars balance or turn ALERT_PAID_BROADCAST off",
            outcome.error_code,
        )
        self.wake()

    async def _refused_for_now(
        self, unit: _Unit, outcome: Outcome, now: datetime, refused: str, instead: str
    ) -> None:
        """Telegram's 400 to the way the rows were sent, not (yet) to the rows: note it on
        each and give them back, to go the other way."""
        async with self._transaction() as session:
            for row in unit.rows:
                await repo.record_attempt(
                    session,
                    row.id,
                    at=now,
                    outcome=BAD_REQUEST,
                    error_code=outcome.error_code,
                    detail=f"{refused} ({outcome.detail}); {instead}",
                )
            await repo.release(session, [row.id for row in unit.rows], worker_id=self.worker_id)

    def _learn_about_paid_refusal(self, unit: _Unit, outcome: Outcome) -> None:
        """An alert refused as a paid broadcast, now sent unpaid: refused again, the message
        itself was bad (it is dead-lettered as usual) and paying may go on."""
        refused = {row.id for row in unit.rows} & self._refused_paid_rows
        if not refused:
            return
        self._refused_paid_rows -= refused
        if outcome.status == BAD_REQUEST and self._paid_refused:
            self._paid_refused = False
            log.info("the refused paid broadcast was refused unpaid too: paying again")

    async def _split_combined(self, unit: _Unit, outcome: Outcome, now: datetime) -> None:
        # Telegram refused the combination (not the alerts, which each passed on their own
        # way in): send them one by one, and let a bad one fail alone.
        self._no_combine.update(row.id for row in unit.rows)
        await self._refused_for_now(
            unit, outcome, now, "combined message refused", "sending one by one"
        )
        log.warning("combined alerts for chat %s refused; sending one by one", unit.chat_id)

    async def _record(self, unit: _Unit, outcome: Outcome, now: datetime) -> None:
        """One transaction for the unit; if a hook breaks it, record without hooks rather
        than leave a sent row claimed (it would be sent again when the lease runs out)."""
        try:
            await self._record_once([(unit, outcome, now)], with_hooks=True)
        except Exception:
            log.exception(
                "outbox %s: a delivery hook failed; recording the outcome without it",
                ",".join(str(row.id) for row in unit.rows),
            )
            await self._record_once([(unit, outcome, now)], with_hooks=False)

    async def _record_delivered(self, delivered: list[_Settled]) -> None:
        """A wave's deliveries in one transaction: one commit, not one per message, while
        the next Kirims wait for their turn. Should it fail, each unit goes on its own."""
        if not delivered:
            return
        try:
            await self._record_once(delivered, with_hooks=True)
        except Exception as error:
            # The type only: the error may quote the statement's parameters.
            log.warning(
                "recording a wave of %d deliveries failed (%s); recording each on its own",
                len(delivered),
                type(error).__name__,
            )
            for unit, outcome, now in delivered:
                await self._record(unit, outcome, now)
        for unit, outcome, _now in delivered:
            self._count(unit, outcome)
            self._log(unit, outcome)

    async def _record_once(self, settled: list[_Settled], *, with_hooks: bool) -> None:
        async with self._transaction() as session:
            hooks: list[_Hook | None] = []
            for unit, outcome, now in settled:
                settle = self._settlers()[outcome.status]
                if outcome.status == SENT:
                    await self._remember_messages(session, unit, outcome, now)
                if outcome.status == FORBIDDEN:
                    await repo.mark_chat_unreachable(session, unit.chat_id, now=now)
                hooks += [await settle(session, row, unit, outcome, now) for row in unit.rows]
            # Hooks run once every row is settled: a hook looking at a combined alert must
            # find all of its rows sent.
            for hook in hooks:
                if hook is not None and with_hooks:
                    await hook(session)
            queued_more = bool(session.info.get("outbox_dirty"))
        if queued_more:
            # A hook queued messages (a re-routed alert, a coordinator's notice).
            self.wake()

    def _settlers(self) -> dict[str, _Settler]:
        return {
            SENT: self._settle_sent,
            RETRY_AFTER: self._settle_rate_limited,
            FORBIDDEN: self._settle_forbidden,
            SERVER_ERROR: self._settle_transient,
            NETWORK_ERROR: self._settle_transient,
            API_ERROR: self._settle_transient,
            BAD_REQUEST: self._settle_dead,
            INVALID_PAYLOAD: self._settle_dead,
            INTERNAL_ERROR: self._settle_dead,
        }

    async def _remember_messages(
        self, session: AsyncSession, unit: _Unit, outcome: Outcome, now: datetime
    ) -> None:
        # What SentMessagesMiddleware does for handler replies: /hapus must find these too.
        ids = [(unit.chat_id, message_id) for message_id in outcome.private_message_ids]
        await ChatMessageRepo(session).remember_all(ids, now)

    async def _settle_sent(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        unit: _Unit,
        outcome: Outcome,
        now: datetime,
    ) -> _Hook | None:
        fresh = await repo.mark_sent(session, row.id, now=now, message_id=outcome.message_id)
        if fresh is None:
            # Another sender took the row over after our lease ran out and completed it.
            log.warning("outbox %s was already completed: delivered twice", row.id)
            await repo.record_attempt(session, row.id, at=now, outcome="duplicate")
            return None
        detail = f"combined with {len(unit.rows) - 1} more" if unit.combined else None
        await repo.record_attempt(session, row.id, at=now, outcome=SENT, detail=detail)
        message_id = outcome.message_id or 0
        return lambda hook_session: self._hooks.delivered(hook_session, fresh, message_id)

    async def _settle_rate_limited(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        unit: _Unit,
        outcome: Outcome,
        now: datetime,
    ) -> _Hook | None:
        await repo.reschedule(
            session,
            row.id,
            not_before=now + timedelta(seconds=outcome.retry_after),
            error=outcome.detail,
            count_attempt=False,
        )
        await self._attempt(session, row, outcome, now)
        return None

    async def _settle_forbidden(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        unit: _Unit,
        outcome: Outcome,
        now: datetime,
    ) -> _Hook | None:
        fresh = await repo.mark_dead(session, row.id, reason=FORBIDDEN)
        await self._attempt(session, row, outcome, now)
        if fresh is None:
            return None
        return lambda hook_session: self._hooks.unreachable(hook_session, fresh)

    async def _settle_dead(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        unit: _Unit,
        outcome: Outcome,
        now: datetime,
    ) -> _Hook | None:
        reason = f"{outcome.status}: {outcome.detail}"
        fresh = await repo.mark_dead(session, row.id, reason=reason)
        await self._attempt(session, row, outcome, now)
        if fresh is None:
            return None
        return lambda hook_session: self._hooks.dead(hook_session, fresh, reason)

    async def _settle_transient(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        unit: _Unit,
        outcome: Outcome,
        now: datetime,
    ) -> _Hook | None:
        if self._exhausted(row):
            exhausted = Outcome(EXHAUSTED, outcome.error_code, outcome.detail)
            return await self._settle_dead(session, row, unit, exhausted, now)
        failures = row.attempts + 1
        not_before = now + timedelta(seconds=self._transient_wait(failures, _seconds(now)))
        await repo.reschedule(session, row.id, not_before=not_before, error=outcome.detail)
        await self._attempt(session, row, outcome, now)
        self._pushed_back.add(row.id)
        return None

    def _exhausted(self, row: OutboxMessage) -> bool:
        """Notices and broadcasts give up at some point; alerts and relays never do."""
        return row.lane > LANE_RELAY and row.attempts + 1 >= self._retry.max_attempts

    def _transient_wait(self, failures: int, moment: float) -> float:
        wait = self._breaker.open_until - moment
        own = failures - self._retry.own_backoff_after
        if own > 0:
            wait = max(wait, self._retry.delay(own, self._rng))
        return max(wait, 0.0)

    async def _attempt(
        self, session: AsyncSession, row: OutboxMessage, outcome: Outcome, now: datetime
    ) -> None:
        await repo.record_attempt(
            session,
            row.id,
            at=now,
            outcome=outcome.status,
            error_code=outcome.error_code,
            detail=outcome.detail,
        )

    # --- bookkeeping ----------------------------------------------------------------------

    def _count(self, unit: _Unit, outcome: Outcome) -> None:
        counters = self.counters
        rows = len(unit.rows)
        if outcome.status == SENT:
            counters.sent += rows
            counters.messages += 1
            counters.combined += rows if unit.combined else 0
            counters.paid += unit.paid
        elif outcome.status == RETRY_AFTER:
            counters.rate_limited += 1
        elif outcome.transient:
            counters.server_errors += outcome.status == SERVER_ERROR
            counters.network_errors += outcome.status != SERVER_ERROR
            counters.dead += sum(1 for row in unit.rows if self._exhausted(row))
        else:
            counters.forbidden += outcome.status == FORBIDDEN
            counters.dead += rows

    def _log(self, unit: _Unit, outcome: Outcome) -> None:
        # Never the payload: it holds what residents wrote.
        level = logging.INFO if outcome.status == SENT and unit.lane <= LANE_RELAY else None
        if level is None:
            level = logging.DEBUG if outcome.status == SENT else logging.WARNING
        for row in unit.rows:
            log.log(
                level,
                "outbox %s kind=%s lane=%s chat=%s: %s%s",
                row.id,
                row.kind,
                row.lane,
                row.chat_id,
                outcome.status,
                f" ({outcome.error_code})" if outcome.error_code else "",
            )

    async def _release(self, row_ids: Iterable[int]) -> None:
        ids = list(row_ids)
        if not ids:
            return
        async with self._transaction() as session:
            await repo.release(session, ids, worker_id=self.worker_id)

    async def _release_everything(self) -> None:
        try:
            async with self._transaction() as session:
                released = await repo.release_worker(session, worker_id=self.worker_id)
        except Exception:
            log.exception("could not give back the claims of %s", self.worker_id)
            return
        if released:
            log.info("gave back %d claimed rows", released)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction; this sender's writes take turns (see `_db_lock`), and on
        SQLite they go before the updates waiting for the write lock (storage.db.WriteTurns)
        instead of losing it to one update after another while an alert waits.

        The turn is asked for before `_db_lock`: the sender's next transactions then wait
        among the priority turns. The other way round, a wave's records queued on the lock,
        and each took the turn only after the next update: one sender transaction per
        update, and alerts fell behind a burst of Kirims (bench/, figure 2)."""
        async with (
            write_turns(self._sessions, priority=True),
            self._db_lock,
            self._sessions() as session,
            session.begin(),
        ):
            yield session


_Hook = Callable[[AsyncSession], Awaitable[None]]
# A unit, what Telegram answered and when.
_Settled = tuple[_Unit, Outcome, datetime]
_Settler = Callable[
    [AsyncSession, OutboxMessage, _Unit, Outcome, datetime], Awaitable[_Hook | None]
]
