"""What each outcome does to its rows, in the database, and the delivery hooks after it.

The rows Telegram accepted are marked sent together when their wave is done (one commit a
wave, not one a message: a burst of Kirims waits for the sender's turns). Were the process to
die between Telegram's answer and that commit, the row's claim would run out and another
sender would send it again: that window is the only way a message can arrive twice. Anything
else is recorded at once: a 429 reschedules without using up a try, a 403 marks the
recipient unreachable, a 5xx or network error pushes the row behind the outage, and what can
never be sent is dead-lettered (the hooks tell a coordinator). Every try is a
delivery_attempts row.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.sending.claiming import Transaction, Unit
from bot.sending.outage import RetryPolicy
from bot.sending.outcomes import (
    API_ERROR,
    BAD_REQUEST,
    EXHAUSTED,
    FORBIDDEN,
    NETWORK_ERROR,
    RETRY_AFTER,
    SENT,
    SERVER_ERROR,
    Outcome,
)
from services.outbox import DeliveryHooks, Lane
from storage.identity import hour, log_name
from storage.repositories import outbox as repo
from storage.repositories.messages import ChatMessageRepo
from storage.repositories.outbox import OutboxRow, woken_lane

log = logging.getLogger(__name__)

Hook = Callable[[AsyncSession], Awaitable[None]]
# A unit, what Telegram answered, and when.
Settled = tuple[Unit, Outcome, datetime]


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


class Recorder:
    def __init__(
        self,
        transaction: Transaction,
        hooks: DeliveryHooks,
        retry: RetryPolicy,
        rng: random.Random,
        *,
        worker_id: str,
        wake: Callable[[], None],
    ) -> None:
        self._transaction = transaction
        self._hooks = hooks
        self._retry = retry
        self._rng = rng
        self._worker_id = worker_id
        self._wake = wake
        self.counters = SenderCounters()
        # A row was given back or rescheduled (due later, or again): the sender asks the
        # database what is due next rather than trusting its last claim (and clears this).
        self.deferred = False

    async def delivered(self, settled: list[Settled]) -> None:
        """A wave's deliveries in one transaction. Should it fail (a broken hook), each unit
        goes on its own, and one whose hook breaks is recorded without it: a sent row left
        claimed would be sent again when its lease ran out."""
        if not settled:
            return
        try:
            await self._record(settled, with_hooks=True)
        except Exception as error:
            # The type only: the error may quote the statement's parameters.
            log.warning(
                "recording a wave of %d deliveries failed (%s); recording each on its own",
                len(settled),
                type(error).__name__,
            )
            for one in settled:
                await self.failed(*one, pushed_until=None)
        for unit, outcome, _now in settled:
            self._count(unit, outcome)
            self._log(unit, outcome)

    async def failed(
        self, unit: Unit, outcome: Outcome, now: datetime, *, pushed_until: datetime | None
    ) -> None:
        """Anything but a delivery (or a delivery whose wave could not be recorded), at once.
        `pushed_until`: the end of an outage a transient failure waits behind."""
        self.deferred = True
        try:
            await self._record([(unit, outcome, now)], with_hooks=True, pushed_until=pushed_until)
        except Exception:
            log.exception(
                "outbox %s: a delivery hook failed; recording the outcome without it",
                ",".join(str(row_id) for row_id in unit.row_ids),
            )
            await self._record([(unit, outcome, now)], with_hooks=False, pushed_until=pushed_until)
        if outcome.status != SENT:
            self._count(unit, outcome)
            self._log(unit, outcome)

    async def refused_for_now(
        self, unit: Unit, outcome: Outcome, now: datetime, refused: str, instead: str
    ) -> None:
        """Telegram's 400 to the way the rows were sent, not (yet) to the rows: note it on
        each and give them back, to go the other way."""
        self.deferred = True
        async with self._transaction() as session:
            for row_id in unit.row_ids:
                await repo.record_attempt(
                    session,
                    row_id,
                    at=now,
                    outcome=BAD_REQUEST,
                    error_code=outcome.error_code,
                    detail=f"{refused} ({outcome.detail}); {instead}",
                )
            await repo.release(session, unit.row_ids, worker_id=self._worker_id)

    def exhausted(self, row: OutboxRow) -> bool:
        """Notices and broadcasts give up at some point; alerts, relays and replies never."""
        return row.lane > Lane.REPLY and row.attempts + 1 >= self._retry.max_attempts

    # --- one transaction ----------------------------------------------------------------

    async def _record(
        self,
        settled: list[Settled],
        *,
        with_hooks: bool,
        pushed_until: datetime | None = None,
    ) -> None:
        async with self._transaction() as session:
            sent = [one for one in settled if one[1].status == SENT]
            hooks = await self._sent(session, sent)
            for unit, outcome, now in settled:
                if outcome.status == SENT:
                    continue
                if outcome.status == FORBIDDEN:
                    await repo.mark_chat_unreachable(session, unit.recipient, now=now)
                for row in unit.rows:
                    hooks.append(await self._settle(session, unit, row, outcome, now, pushed_until))
            # Hooks run once every row is settled: a hook looking at a combined alert must
            # find all of its rows sent.
            for hook in hooks:
                if hook is not None and with_hooks:
                    await hook(session)
            queued_more = woken_lane(session)
        if queued_more is not None:
            self._wake()  # a hook queued messages (a re-routed alert, a coordinator's notice)

    async def _sent(self, session: AsyncSession, sent: list[Settled]) -> list[Hook | None]:
        """Deliveries, however many, in four statements: the rows marked sent, what they
        sent and when, their attempts, and the messages /hapus must find."""
        if not sent:
            return []
        await self._remember_messages(session, sent)
        marked = await repo.mark_sent(
            session,
            [(row.id, now, outcome.message_id) for unit, outcome, now in sent for row in unit.rows],
        )
        attempts: list[dict[str, Any]] = []
        hooks: list[Hook | None] = []
        for unit, outcome, now in sent:
            detail = f"combined with {len(unit.rows) - 1} more" if unit.combined else None
            for row in unit.rows:
                if row.id not in marked:
                    # Another sender took the row over after our lease ran out and completed it.
                    log.warning("outbox %s was already completed: delivered twice", row.id)
                    attempts.append(repo.attempt(row.id, at=now, outcome="duplicate"))
                    continue
                attempts.append(repo.attempt(row.id, at=now, outcome=SENT, detail=detail))
                hooks.append(self._delivered_hook(row, outcome.message_id or 0))
        await repo.record_attempts(session, attempts)
        return hooks

    def _delivered_hook(self, row: OutboxRow, message_id: int) -> Hook:
        # The row as claimed: once sent, a resident's row no longer says what it held (a
        # report's question names its conversation in its payload, services/delivery.py).
        return lambda hook_session: self._hooks.delivered(hook_session, row, message_id)

    async def _remember_messages(self, session: AsyncSession, sent: list[Settled]) -> None:
        # What SentMessagesMiddleware does for direct calls: /hapus must find these too. One
        # statement per hour the wave's answers came in (rows keep the hour).
        by_hour: dict[datetime, list[tuple[int, int]]] = {}
        for unit, outcome, now in sent:
            ids = [(unit.chat, message_id) for message_id in outcome.private_message_ids]
            by_hour.setdefault(hour(now), []).extend(ids)
        for at, ids in by_hour.items():
            await ChatMessageRepo(session).remember_all(ids, at)

    async def _settle(
        self,
        session: AsyncSession,
        unit: Unit,
        row: OutboxRow,
        outcome: Outcome,
        now: datetime,
        pushed_until: datetime | None,
    ) -> Hook | None:
        status = outcome.status
        if status == RETRY_AFTER:
            # Waiting out Telegram's flood control is not a failure of the message.
            await repo.reschedule(
                session,
                row.id,
                not_before=now + timedelta(seconds=outcome.retry_after),
                error=outcome.detail,
                count_attempt=False,
            )
        elif status in (SERVER_ERROR, NETWORK_ERROR, API_ERROR):
            if self.exhausted(row):
                return await self._dead(session, row, Outcome(EXHAUSTED, outcome.error_code,
                                                              outcome.detail), now)  # fmt: skip
            await repo.reschedule(
                session, row.id, not_before=self._retry_at(row, now, pushed_until),
                error=outcome.detail,
            )  # fmt: skip
        elif status == FORBIDDEN:
            fresh = await repo.mark_dead(session, row.id, reason=FORBIDDEN)
            await self._attempt(session, row, outcome, now)
            # The row as claimed: once dead, a resident's row no longer says whom it was for.
            return None if fresh is None else lambda s: self._hooks.unreachable(s, row)
        else:  # a 400, a payload that can never be a call, an internal error: never sendable
            return await self._dead(session, row, outcome, now)
        await self._attempt(session, row, outcome, now)
        return None

    async def _dead(
        self, session: AsyncSession, row: OutboxRow, outcome: Outcome, now: datetime
    ) -> Hook | None:
        reason = f"{outcome.status}: {outcome.detail}"
        fresh = await repo.mark_dead(session, row.id, reason=reason)
        await self._attempt(session, row, outcome, now)
        if fresh is None:
            return None
        # The row as claimed: once dead, a resident's row no longer says what it held (the
        # hooks read who wrote a relay from its payload).
        return lambda hook_session: self._hooks.dead(hook_session, row, reason)

    def _retry_at(self, row: OutboxRow, now: datetime, pushed_until: datetime | None) -> datetime:
        """Behind the outage (brought forward when a probe gets through), and after a row's
        own backoff once it failed often on its own."""
        wait = max((pushed_until - now).total_seconds(), 0.0) if pushed_until else 0.0
        own = row.attempts + 1 - self._retry.own_backoff_after
        if own > 0:
            wait = max(wait, self._retry.delay(own, self._rng))
        return now + timedelta(seconds=wait)

    async def _attempt(
        self, session: AsyncSession, row: OutboxRow, outcome: Outcome, now: datetime
    ) -> None:
        await repo.record_attempt(
            session,
            row.id,
            at=now,
            outcome=outcome.status,
            error_code=outcome.error_code,
            detail=outcome.detail,
        )

    # --- counting and logging -----------------------------------------------------------

    def _count(self, unit: Unit, outcome: Outcome) -> None:
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
            counters.dead += sum(1 for row in unit.rows if self.exhausted(row))
        else:
            counters.forbidden += outcome.status == FORBIDDEN
            counters.dead += rows

    def _log(self, unit: Unit, outcome: Outcome) -> None:
        # Never the payload (what residents wrote), never a resident's chat (log_name).
        level = logging.INFO if outcome.status == SENT and unit.lane <= Lane.RELAY else None
        if level is None:
            level = logging.DEBUG if outcome.status == SENT else logging.WARNING
        for row in unit.rows:
            log.log(
                level,
                "outbox %s kind=%s lane=%s to=%s: %s%s",
                row.id,
                row.kind,
                row.lane,
                log_name(row.recipient_id),
                outcome.status,
                f" ({outcome.error_code})" if outcome.error_code else "",
            )


__all__ = ["Recorder", "SenderCounters", "Settled"]
