"""Which rows a pass takes from the outbox, and which of them go now.

A pass claims due rows lane first, for a lease (a killed sender's rows are taken over when it
runs out), as many as the bot-wide budget allows now; broadcasts only with what the other
lanes leave. Then each chat gets what its own budget allows; alerts that would otherwise wait
for their officer's chat share one message, and the rest is given back for a later pass.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sending.budget import RateBudget, counts_against_limits
from bot.sending.payloads import (
    combinable,
    combined_payload,
    method_name,
    pack,
    payload_of,
    target_chat,
)
from services.outbox import DeliveryHooks, Lane
from storage.db import writers_waiting
from storage.repositories import outbox as repo
from storage.repositories.outbox import OutboxRow

log = logging.getLogger(__name__)

# While updates queue for SQLite's write lock (a burst of Kirims), passes claim only alerts,
# so confirmations, notices and broadcasts do not put their turns between the reports and
# their alerts; for at most this long, so they are never starved.
YIELD_LIMIT = 2.0

Transaction = Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]]


@dataclass
class Unit:
    """One Telegram call: a row, or several alerts combined into one message."""

    rows: list[OutboxRow]
    payload: dict[str, Any]
    # Sent with allow_paid_broadcast, outside the bot-wide window (alerts only).
    paid: bool = False

    @property
    def recipient(self) -> int:
        """Who it is for, as the row names them: the key of their budget and of a 403."""
        return self.rows[0].recipient_id or 0

    @property
    def chat(self) -> int:
        """The chat it goes to, from the (encrypted) payload: never a column, never a log."""
        return target_chat(self.payload, self.rows[0].recipient_id)

    @property
    def lane(self) -> int:
        return self.rows[0].lane

    @property
    def broadcast(self) -> bool:
        return self.lane >= Lane.BROADCAST

    @property
    def counted(self) -> bool:
        """Under Telegram's flood limits: a message, not an edit (budget.py)."""
        return counts_against_limits(method_name(self.payload))

    @property
    def combined(self) -> bool:
        return len(self.rows) > 1

    @property
    def row_ids(self) -> list[int]:
        return [row.id for row in self.rows]


class Claims:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        budget: RateBudget,
        transaction: Transaction,
        hooks: DeliveryHooks,
        *,
        worker_id: str,
        lease: timedelta,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._budget = budget
        self._transaction = transaction
        self._hooks = hooks
        self._worker_id = worker_id
        self._lease = lease
        self._now = now
        self.yielding_since: float | None = None
        # Combined alerts Telegram refused: these rows go one by one from now on.
        self.no_combine: set[int] = set()
        # What the last claim may have left due (`left_behind`), and the chats it passed over
        # with when each may go again; None once rows were given back, or without a claim.
        self.left: dict[int, datetime] | None = None
        self._passed_over: dict[int, float] = {}

    async def take(self, limit: int, *, alerts_only: bool) -> list[OutboxRow]:
        self.left = None
        async with self._transaction() as session:
            # Read the clock once the turn is ours: rows committed while this claim waited
            # for it (the alert of the update before) are due too, not left for a pass later.
            now = self._now()
            moment = now.timestamp()
            waiting = self._passed_over = self._budget.waiting_chats(moment)
            alerts_only = self.yield_to_updates(moment) or alerts_only
            # Broadcasts in the same statement, as many as the other lanes could leave room
            # for; those they do not leave room for are given back at once.
            most = 0 if alerts_only else min(limit, self._budget.broadcast_sends(moment))
            claimed = await self._lanes(session, now, limit, waiting, most, alerts_only)
            broadcasts = [row for row in claimed if row.lane >= Lane.BROADCAST]
            rows = [row for row in claimed if row.lane < Lane.BROADCAST]
            rows = await self._without_withheld(session, rows)
            spare = min(limit - len(rows), self._budget.broadcast_sends(moment, planned=len(rows)))
            spare = 0 if alerts_only else max(spare, 0)
            if broadcasts[spare:]:
                ids = [row.id for row in broadcasts[spare:]]
                await repo.release(session, ids, worker_id=self._worker_id)
        if not alerts_only:
            self.left = _left_behind(claimed, broadcasts, now, limit=limit, most=most, spare=spare)
        return rows + broadcasts[:spare]

    def left_behind(self, moment: float) -> dict[int, datetime] | None:
        """Lanes in which the last claim may have left rows due (it got as many as it asked
        for), as `repo.next_due_by_lane` would give them: due already, so the sender waits
        for the budget alone. None when it cannot tell: no claim this pass, rows given back,
        only alerts claimed, or a chat it passed over may go again already (its rows are
        due, and no turn of the budget stands for them)."""
        if self.left is None or any(ready <= moment for ready in self._passed_over.values()):
            return None
        return self.left

    async def _without_withheld(
        self, session: AsyncSession, rows: list[OutboxRow]
    ) -> list[OutboxRow]:
        """The rules' last word before a send (a case message to someone who may no longer see
        the case is cancelled): asked in the claim's transaction, so nothing changes between."""
        if not rows:
            return rows
        withheld = await self._hooks.withheld(session, rows)
        for row_id in sorted(withheld):
            log.info("outbox %s: withheld by the rules, not sent", row_id)
        return [row for row in rows if row.id not in withheld]

    def yield_to_updates(self, moment: float) -> bool:
        if writers_waiting(self._sessions) == 0:
            self.yielding_since = None
            return False
        if self.yielding_since is None:
            self.yielding_since = moment
        return moment - self.yielding_since < YIELD_LIMIT

    def yielding(self, moment: float) -> bool:
        return self.yielding_since is not None and moment - self.yielding_since < YIELD_LIMIT

    async def _lanes(
        self,
        session: AsyncSession,
        now: datetime,
        limit: int,
        waiting: Iterable[int],
        broadcasts: int,
        alerts_only: bool,
    ) -> list[OutboxRow]:
        return await repo.claim_due(
            session,
            now=now,
            limit=limit,
            worker_id=self._worker_id,
            lease=self._lease,
            max_lane=Lane.ALERT if alerts_only else Lane.BROADCAST - 1,
            exclude_chats=list(waiting),
            also=(Lane.BROADCAST, broadcasts),
        )

    def plan(self, rows: list[OutboxRow], moment: float) -> tuple[list[Unit], list[int]]:
        """Units to send now, within each chat's budget, and the row ids held back."""
        by_chat: dict[int, list[OutboxRow]] = {}
        for row in rows:
            by_chat.setdefault(row.recipient_id or 0, []).append(row)
        units: list[Unit] = []
        held: list[int] = []
        for chat_id, chat_rows in by_chat.items():
            allowed = self._budget.chat_sends(chat_id, moment)
            waiting = False
            for unit in self._units_for(chat_rows, allowed):
                # In the chat's order: an edit goes whatever the chat's budget (Telegram does
                # not count it), but not before a message queued ahead of it that must wait.
                if not waiting and (allowed > 0 or not unit.counted):
                    units.append(unit)
                    allowed -= int(unit.counted)
                else:
                    waiting = True
                    held += unit.row_ids
        units.sort(key=lambda unit: (unit.lane, unit.rows[0].id))
        return units, held

    def _units_for(self, rows: list[OutboxRow], allowed: int) -> list[Unit]:
        """One unit per row, except that alerts which would otherwise wait for this chat's
        budget share one message: the last of several alerts for one officer must not queue
        behind the others (README, "Durable delivery")."""
        alerts = [row for row in rows if combinable(row) and row.id not in self.no_combine]
        if len(alerts) < 2 or len(rows) <= allowed:
            return [Unit([row], payload_of(row)) for row in rows]
        groups = {group[0].id: group for group in pack(alerts)}
        grouped = {row.id for group in groups.values() for row in group}
        units: list[Unit] = []
        for row in rows:
            if row.id in groups:
                group = groups[row.id]
                payload = combined_payload(group) if len(group) > 1 else payload_of(row)
                units.append(Unit(group, payload))
            elif row.id not in grouped:
                units.append(Unit([row], payload_of(row)))
        return units

    async def give_back(self, row_ids: Iterable[int]) -> None:
        """Rows claimed and not sent this pass (budget, priority, shutdown) go back."""
        ids = list(row_ids)
        if not ids:
            return
        self.left = None
        async with self._transaction() as session:
            await repo.release(session, ids, worker_id=self._worker_id)


def _left_behind(
    claimed: list[OutboxRow],
    broadcasts: list[OutboxRow],
    now: datetime,
    *,
    limit: int,
    most: int,
    spare: int,
) -> dict[int, datetime]:
    # A claim takes lane by lane: what a full one left is in its last lane or beyond.
    left: dict[int, datetime] = {}
    others = [row.lane for row in claimed if row.lane < Lane.BROADCAST]
    if others and len(others) >= limit:
        left[max(others)] = now
    if len(broadcasts) >= most or broadcasts[spare:]:
        left[Lane.BROADCAST] = now
    return left


__all__ = ["YIELD_LIMIT", "Claims", "Unit"]
