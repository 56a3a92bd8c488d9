"""The sender's loop: claim what is due, send it lane by lane within the budget, record it.

A pass claims due rows (claiming.py), sends them in waves, one lane after the other, each
chat's rows in order (telegram.py), and records the outcomes (recording.py). Broadcasts go
last and only with the budget the other lanes leave, and a pass drops its broadcast wave when
new rows were committed meanwhile: an alert arriving during a broadcast goes out next. While
Telegram fails nothing is sent and getMe probes (outage.py). Only the instance holding the
sending lock sends (leader.py). The sender is woken on every commit that queued rows and
otherwise sleeps until something can be sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sending.budget import RateBudget, SenderLimits
from bot.sending.claiming import Claims, Unit
from bot.sending.leader import Leadership
from bot.sending.outage import Outage, RetryPolicy
from bot.sending.outcomes import BAD_REQUEST, RETRY_AFTER, SENT, Outcome
from bot.sending.paid import PaidAlerts
from bot.sending.recording import Recorder, SenderCounters, Settled
from bot.sending.telegram import TelegramCalls
from services.clock import Clock
from services.outbox import DeliveryHooks, Lane
from storage.db import write_turns
from storage.repositories import outbox as repo

log = logging.getLogger(__name__)

# How long a handler's own message may wait for room in the bot-wide window (seconds).
DIRECT_PATIENCE = 2.0
# How often a sender yielding to updates looks again whether they are done.
YIELD_POLL = 0.1
# How long a pass waits, during a burst, for the replies of updates still being handled.
GATHER = 0.02
# How long a pass follows the one before at the soonest. Every commit that queues a reply
# wakes the sender, and during a burst a pass per wake carried about one row: a claim, a
# record and a look at what is due next for each (README, "Benchmarks"). A bot answering one
# message at a time still answers at once, and an alert or a relay never waits for it.
PASS_SPACING = 0.05


def _worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


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
        leadership: Leadership | None = None,
    ) -> None:
        limits = limits or SenderLimits()
        if broadcast_rate is not None:
            limits = SenderLimits(**{**asdict(limits), "broadcast_per_second": broadcast_rate})
        self.limits = limits
        self.worker_id = worker_id or _worker_id()
        self.leadership = leadership or Leadership()
        self._sessions = session_factory
        self._clock = clock
        self._batch_size = batch_size
        self._idle_poll = idle_poll
        self._stop_timeout = stop_timeout
        rng = self._rng = rng or random.Random()
        retry = self._retry = retry or RetryPolicy()
        self._budget = RateBudget(limits, self._moment())
        self._outage = Outage(retry, rng)
        self._paid = PaidAlerts(limits.paid_alerts, self._budget)
        self._claims = Claims(
            session_factory, self._budget, self._transaction, hooks,
            worker_id=self.worker_id, lease=lease, now=clock.now,
        )  # fmt: skip
        self._calls = TelegramCalls(
            bot, self._budget, now=self._moment, timeout=request_timeout,
            max_in_flight=max_in_flight,
        )  # fmt: skip
        self._recorder = Recorder(
            self._transaction, hooks, retry, rng, worker_id=self.worker_id, wake=self.wake
        )
        # One write transaction at a time: SQLite has one writer anyway, and the sends of a
        # wave do not take a pool connection each.
        self._db_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_pass = 0.0
        # Woken for an alert or a relay since the last pass: the next one keeps no spacing.
        self._urgent = asyncio.Event()
        self._pass_failed = False
        # The database's last answer to "what is due next" had no row waiting for a later
        # moment or another sender's claim (`_due_by_lane`).
        self._all_due_now = False
        # Rows pushed behind an outage: due again when a probe gets through.
        self._pushed_back: set[int] = set()
        # Updates this process is handling now (bot/inbox.py): their replies are on the way.
        self.busy: Callable[[], int] = lambda: 0

    @property
    def counters(self) -> SenderCounters:
        return self._recorder.counters

    def _moment(self) -> float:
        return self._clock.now().timestamp()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        await self.leadership.start(self.wake)
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
        await self.leadership.stop()

    def wake(self, lane: int | None = None) -> None:
        """Call after committing outbox rows (of `lane` at the most urgent): the sender looks
        at once instead of at its next poll; replies, notices and broadcasts within
        PASS_SPACING of the pass before. Safe to call from any code on the sender's event
        loop, any number of times."""
        if lane is None or lane < Lane.REPLY:
            self._urgent.set()
        self._wake.set()

    def telegram_answered(self) -> None:
        """Telegram answered another call (the long poll): during an outage, probe now rather
        than at the end of a backoff that may be a minute long while alerts wait."""
        if self._outage.ongoing:
            self._outage.probe_soon()
            self.wake()

    def telegram_failed(self) -> None:
        """Another call (the long poll) failed transiently: send nothing until a probe gets
        through, rather than find out with an alert."""
        self._outage.failed(self._moment())

    async def send_elsewhere(self) -> None:
        """Count a message a handler sends itself in the bot-wide window and, while a
        broadcast fills that window, first wait for room: on top of a broadcast at its full
        rate a burst of replies went over Telegram's limit and got 429. Otherwise replies
        only count (residents pace them; alerts keep their reserve), and never wait longer
        than DIRECT_PATIENCE: past that, Telegram decides (and the retry middleware waits)."""
        give_up = self._moment() + DIRECT_PATIENCE
        while True:
            moment = self._moment()
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
            if not self.leadership.held.is_set():
                await self._until_leading()
                continue
            try:
                await self._gather()
                await self.run_once()
                # Woken during the pass (a Kirim committed its alert): go again at once,
                # without asking the database when the next row is due.
                delay = 0.0 if self._wake.is_set() else await self._idle_delay()
                failures = 0
            except Exception:
                # The database is away (or a hook is broken): keep trying, slower and slower.
                self._all_due_now = False
                failures += 1
                delay = self._retry.delay(failures, self._rng)
                log.exception("outbox pass failed; next try in %.1fs", delay)
            if not self._stopping:
                await self._sleep(delay)

    async def _gather(self) -> None:
        """During a burst the replies of the updates still being handled join this pass: one
        claim and one record for several rows rather than for each (README, "Benchmarks":
        fewer statements and commits per update), and so do those queued since the pass before,
        up to PASS_SPACING ago, unless an alert or a relay is waiting. A reply on its own goes
        at once."""
        if self.busy() > 0:
            await asyncio.sleep(GATHER)
        spacing = self._last_pass + PASS_SPACING - time.monotonic()
        if spacing > 0 and not self._urgent.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._urgent.wait(), spacing)
        self._urgent.clear()
        self._last_pass = time.monotonic()

    async def _until_leading(self) -> None:
        # Another instance sent meanwhile: its claims may still be live.
        self._all_due_now = False
        held = asyncio.ensure_future(self.leadership.held.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({held, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            held.cancel()
            woken.cancel()
        self._wake.clear()

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(delay, 0.0))

    async def _idle_delay(self) -> float:
        """Until something can be sent: a budget refill, a deferred row, a chat's turn, the
        next probe of an outage."""
        now = self._clock.now()
        moment = now.timestamp()
        if self._outage.ongoing:
            return min(max(self._outage.probe_at - moment, 0.005), self._idle_poll)
        paused = self._budget.paused_until()
        if paused > moment:
            return min(paused - moment, self._idle_poll)
        waiting = self._budget.waiting_chats(moment)
        due = await self._due_by_lane(now, waiting)
        candidates = [moment + self._idle_poll, *waiting.values()]
        if self._claims.yielding(moment):
            # Rows of the lanes held back are due, but must wait for the updates (or the
            # limit): look again soon rather than spin. New alerts wake the sender anyway.
            due = {lane: at for lane, at in due.items() if lane <= Lane.ALERT}
            candidates.append(moment + YIELD_POLL)
        paying = self._paid.paying(moment, outage=False)
        for lane, at in due.items():
            budget_at = self._budget.next_send_at(moment, broadcast=lane >= Lane.BROADCAST)
            if paying and lane <= Lane.ALERT:
                budget_at = moment  # a paid broadcast need not wait for the window
            candidates.append(max(at.timestamp(), budget_at))
        # Never a busy loop, even when a computed moment is already past.
        return max(min(candidates) - moment, 0.005)

    async def _due_by_lane(self, now: datetime, waiting: dict[int, float]) -> dict[int, datetime]:
        """When each lane's next row is due, outside the waiting chats. The claim of this pass
        tells, without asking the database again, when the database said last time that every
        pending row was due already and nothing was rescheduled or given back since: rows are
        queued due at once (and wake the sender), so what is pending then is what the claim
        left behind, due now, or rows of the chats that wait, whose turns are candidates of
        their own. Figure 1 had made a query after nearly every pass (README,
        "Benchmarks")."""
        if self._all_due_now and not self._recorder.deferred:
            left = self._claims.left_behind(now.timestamp())
            if left is not None:
                return left
        self._recorder.deferred = False
        async with self._sessions() as session:
            due = await repo.next_due_by_lane(session, now=now, exclude_chats=waiting)
        self._all_due_now = due.all_due_by(now)
        return due.earliest

    # --- one pass -------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim what is due and may be sent now, send it, record it; returns rows sent."""
        self._wake.clear()
        self._pass_failed = False
        self._claims.left = None  # until this pass's claim says otherwise
        if self._stopping or not await self._telegram_there():
            return 0
        moment = self._moment()
        limit = min(self._budget.global_sends(moment), self._batch_size)
        paid = False
        if limit < 1 and self._paid.paying(moment, outage=False):
            # The bot-wide window is full: alerts go now as paid broadcasts, nothing else does.
            limit, paid = min(self._budget.paid_sends(moment), self._batch_size), True
        if limit < 1:
            return 0
        rows = await self._claims.take(limit, alerts_only=paid)
        if not rows:
            return 0
        units, held = self._claims.plan(rows, moment)
        for unit in units:
            unit.paid = paid
        await self._claims.give_back(held)
        return await self._deliver(units)

    async def _telegram_there(self) -> bool:
        """False during an outage, until a getMe gets through; then what was pushed behind
        the outage is due again, and goes out lane by lane with the rest."""
        if not self._outage.ongoing:
            return True
        moment = self._moment()
        if not self._outage.probe_due(moment):
            return False
        if not await self._calls.probe():
            self._outage.failed(self._moment())
            return False
        await self._outage_over()
        return True

    async def _outage_over(self) -> None:
        if not self._outage.over():
            return
        pushed_back, self._pushed_back = self._pushed_back, set()
        async with self._transaction() as session:
            await repo.bring_forward(session, pushed_back, now=self._clock.now())
        log.info("Telegram reachable again; sending what is pending")

    async def _deliver(self, units: list[Unit]) -> int:
        """Lane by lane: nothing of a lower lane starts before the higher one is done."""
        sent = 0
        for lane in sorted({unit.lane for unit in units}):
            if self._halted() or (lane >= Lane.BROADCAST and self._wake.is_set()):
                await self._claims.give_back(
                    row_id for unit in units if unit.lane >= lane for row_id in unit.row_ids
                )
                break
            sent += await self._send_wave([unit for unit in units if unit.lane == lane])
        return sent

    def _halted(self, recipient: int | None = None) -> bool:
        # After a transient failure the pass ends: the next one starts with a probe.
        if self._stopping or self._pass_failed or self._outage.ongoing:
            return True
        return recipient is not None and self._budget.chat_sends(recipient, self._moment()) < 1

    async def _send_wave(self, wave: list[Unit]) -> int:
        by_chat: dict[int, list[Unit]] = {}
        for unit in wave:
            by_chat.setdefault(unit.recipient, []).append(unit)
        delivered: list[Settled] = []
        try:
            results = await asyncio.gather(
                *(self._send_chat(units, delivered) for units in by_chat.values()),
                return_exceptions=True,
            )
        finally:
            # Even when a chat failed: what Telegram took must not be sent again.
            await self._recorder.delivered(delivered)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return sum(r for r in results if isinstance(r, int))

    async def _send_chat(self, units: list[Unit], delivered: list[Settled]) -> int:
        """One chat's units, in order; the rest waits when the chat or everything pauses."""
        sent = 0
        for index, unit in enumerate(units):
            if self._halted(unit.recipient):
                await self._claims.give_back(
                    row_id for later in units[index:] for row_id in later.row_ids
                )
                break
            outcome = await self._calls.send(unit)
            await self._settle(unit, outcome, delivered)
            sent += len(unit.rows) if outcome.status == SENT else 0
        return sent

    # --- outcomes -------------------------------------------------------------------------

    async def _settle(self, unit: Unit, outcome: Outcome, delivered: list[Settled]) -> None:
        """Update the budget and the outage, then record the outcome of every row of the
        unit: a delivery with the rest of its wave, anything else at once."""
        now = self._clock.now()
        self._learn(unit, outcome, now.timestamp())
        if not unit.paid:
            self._paid.answered_unpaid(unit, outcome)
        if outcome.status == SENT:
            delivered.append((unit, outcome, now))
        elif outcome.status == BAD_REQUEST and unit.paid:
            self._paid.refused(unit, outcome)
            await self._recorder.refused_for_now(
                unit, outcome, now, "paid broadcast refused", "sending unpaid"
            )
            self.wake()
        elif outcome.status == BAD_REQUEST and unit.combined:
            # Telegram refused the combination (not the alerts, which each passed on their
            # own way in): send them one by one, and let a bad one fail alone.
            self._claims.no_combine.update(unit.row_ids)
            await self._recorder.refused_for_now(
                unit, outcome, now, "combined message refused", "sending one by one"
            )
        else:
            pushed_until = None
            if outcome.transient:
                pushed_until = datetime.fromtimestamp(self._outage.probe_at, now.tzinfo)
                self._pushed_back.update(unit.row_ids)
            await self._recorder.failed(unit, outcome, now, pushed_until=pushed_until)

    def _learn(self, unit: Unit, outcome: Outcome, moment: float) -> None:
        """What the answer says about Telegram."""
        if outcome.status == RETRY_AFTER:
            if self._budget.rate_limited(unit.recipient, moment, outcome.retry_after):
                log.warning(
                    "429 from several chats at once: all sending paused %.0fs",
                    outcome.retry_after,
                )
        elif outcome.transient:
            # Its outcome is unknown (it may have been executed): it goes again once, when a
            # probe says Telegram is back. Meanwhile it did not use the window, we assume.
            self._outage.failed(moment)
            self._pass_failed = True
            if unit.paid:
                self._budget.give_back_paid(unit.recipient, moment)
            elif unit.counted:
                self._budget.give_back(unit.recipient, moment, broadcast=unit.broadcast)

    # --- the database ---------------------------------------------------------------------

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
        update, and alerts fell behind a burst of Kirims (README, "Benchmarks")."""
        async with (
            write_turns(self._sessions, priority=True, short=True),
            self._db_lock,
            self._sessions() as session,
            session.begin(),
        ):
            yield session


__all__ = ["RetryPolicy", "Sender", "SenderCounters", "SenderLimits"]
