"""Which instance sends: Telegram's limits are the bot's, not a process's.

Several instances on one PostgreSQL database would each keep a budget of their own and
together go past Telegram's ~30 messages a second. So one of them sends: the one holding a
PostgreSQL advisory lock, on a connection of its own. The others try for the lock every
`retry` seconds; when the holder dies, PostgreSQL ends its session and frees the lock, and
another instance takes over within a few seconds. The holder also LISTENs for the NOTIFY
every transaction that queues outbox rows sends (storage/repositories/outbox.notify), so a
row queued on another instance wakes it at once. On SQLite only one process runs
(storage/instance_lock.py): it is always the one that sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.repositories import leader as lock_rows
from storage.repositories.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

# Second half of the two-key advisory lock (the first is the per-user locks' namespace, see
# storage/event_isolation.py): "SEND" in ASCII.
_LOCK = (0x4C41, 0x53454E44)


class Leadership:
    """Always held (SQLite, tests)."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.held.set()

    async def start(self, on_notify: Callable[[int | None], None]) -> None:
        """Begin; `on_notify` is called when another instance queued rows, with the most
        urgent lane it queued (None: unknown)."""

    async def stop(self) -> None:
        return None


class PostgresLeadership(Leadership):
    def __init__(self, engine: AsyncEngine, *, retry: float = 1.0, heartbeat: float = 5.0) -> None:
        super().__init__()
        self.held.clear()
        self._engine = engine
        self._on_notify: Callable[[int | None], None] = lambda lane: None
        self._retry = retry
        self._heartbeat = heartbeat
        self._task: asyncio.Task[None] | None = None

    async def start(self, on_notify: Callable[[int | None], None]) -> None:
        self._on_notify = on_notify
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sender leadership")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.held.clear()

    async def _run(self) -> None:
        while True:
            try:
                async with self._engine.connect() as connection:
                    await self._hold(connection)  # returns when another instance sends
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.held.is_set():
                    log.warning("sender: lost the sending lock (%s)", type(error).__name__)
                self.held.clear()
            await asyncio.sleep(self._retry)

    async def _hold(self, connection: AsyncConnection) -> None:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if not await lock_rows.try_lock(autocommit, _LOCK):
            return  # another instance sends; _run tries again after `retry`
        raw = await autocommit.get_raw_connection()
        listener = raw.driver_connection
        if listener is None:
            raise RuntimeError("no driver connection to LISTEN on")
        await listener.add_listener(NOTIFY_CHANNEL, self._notified)
        log.info("sender: this instance sends")
        self.held.set()
        self._on_notify(None)  # what was queued meanwhile
        try:
            while True:
                await asyncio.sleep(self._heartbeat)
                # A dead connection means a freed lock: another instance may be sending now.
                await lock_rows.ping(autocommit)
        finally:
            self.held.clear()
            # Closed, not back to the pool: the lock is the session's, and goes with it.
            with contextlib.suppress(Exception):
                await connection.invalidate()

    def _notified(self, *arguments: Any) -> None:
        # asyncpg calls (connection, pid, channel, payload); the payload is the lane
        # (storage/repositories/outbox.queued).
        payload = arguments[3] if len(arguments) > 3 else ""
        lane = int(payload) if isinstance(payload, str) and payload.isdigit() else None
        self._on_notify(lane)


__all__ = ["Leadership", "PostgresLeadership"]
