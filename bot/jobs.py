"""The worker for scheduled jobs: claims due rows, runs each in its own transaction.

Escalations today; follow-ups, reminders and digests plug in as more kinds. The scheduler
(bot/scheduler.py) only calls `run_due()` on a tick; all state is in the database, so a
restart delays a job and never loses it, and a job claimed by a crashed worker is taken over
once its lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import scheduling
from services.alerting import ESCALATE, AlertPolicy
from services.clock import Clock
from services.escalation import run_escalation_step
from storage.db import write_transaction
from storage.models import ScheduledJob
from storage.repositories.outbox import woken_lane

log = logging.getLogger(__name__)

JobHandler = Callable[[AsyncSession, ScheduledJob], Awaitable[None]]
LEASE = timedelta(seconds=60)
BATCH = 50


class JobRunner:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        policy: AlertPolicy,
        on_outbox: Callable[[int], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._on_outbox = on_outbox
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        # Held while a batch runs, so shutdown can wait for it instead of cancelling it midway.
        self._running = asyncio.Lock()
        self._handlers: dict[str, JobHandler] = {
            ESCALATE: lambda session, job: run_escalation_step(
                session, job, policy, self._clock.now()
            ),
        }

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    async def drain(self) -> None:
        """Wait for a batch in progress to finish (used at shutdown)."""
        async with self._running:
            return

    async def run_due(self) -> int:
        """Run every job due now; returns how many ran."""
        async with self._running:
            return await self._run_batch()

    async def _run_batch(self) -> int:
        async with write_transaction(self._session_factory) as session:
            jobs = await scheduling.claim_due(
                session, now=self._clock.now(), limit=BATCH, lease=LEASE
            )
            claimed = [(job.id, job.kind) for job in jobs]
        done = 0
        for job_id, kind in claimed:
            if await self._run_one(job_id, kind):
                done += 1
        return done

    async def _run_one(self, job_id: int, kind: str) -> bool:
        handler = self._handlers.get(kind)
        try:
            async with write_transaction(self._session_factory) as session:
                job = await session.get(ScheduledJob, job_id)
                if job is None or job.done_at is not None:
                    return False
                if handler is not None:
                    await handler(session, job)
                else:
                    log.error("no handler for scheduled job kind %s", kind)
                scheduling.finish(job, self._clock.now())
            lane = woken_lane(session)
            if lane is not None and self._on_outbox is not None:
                self._on_outbox(lane)
        except Exception:
            # The claim expires and the job is retried; one bad job must not stop the others.
            log.exception("scheduled job %s (%s) failed", job_id, kind)
            return False
        return True
