"""Per-user event isolation that holds across bot instances on PostgreSQL.

aiogram handles one update per user (storage key) at a time, so two quick taps on Kirim are
handled one after the other. Its SimpleEventIsolation does that with in-process locks, which
two instances behind one webhook URL do not share: each could take one tap. Here the lock is
a PostgreSQL session-level advisory lock, `pg_advisory_lock(namespace, hashtext(key))`, held
on a dedicated connection for the duration of the update and released after it.

- An in-process lock per key comes first: a burst from one user then waits in memory and
  holds at most one database connection per user, not one per queued update.
- The connections come from an engine of their own, so updates waiting for a lock can never
  starve the handlers of the connections they need to finish (which would deadlock).
- A hash collision only makes two users wait for each other now and then; it never lets two
  updates of one user through together. If the connection dies, PostgreSQL drops the lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.fsm_storage import storage_key

log = logging.getLogger(__name__)

# First half of the two-key advisory lock: keeps these locks apart from any other use of
# advisory locks in the database (migrations use a one-key lock). "LA" in ASCII.
NAMESPACE = 0x4C41


class _KeyLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PostgresEventIsolation(BaseEventIsolation):
    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 45) -> None:
        self._engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )
        # Entries are removed when their last user leaves: no slow leak of one lock per user.
        self._local: dict[str, _KeyLock] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = storage_key(key)
        entry = self._local.setdefault(name, _KeyLock())
        entry.users += 1
        try:
            async with entry.lock, self._advisory(name):
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                self._local.pop(name, None)

    @asynccontextmanager
    async def _advisory(self, name: str) -> AsyncGenerator[None, None]:
        params = {"namespace": NAMESPACE, "key": name}
        async with self._engine.connect() as connection:
            # Autocommit: the lock is the session's, not a transaction's, so no transaction
            # stays open (and no snapshot is held) while the update is handled.
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(
                text("SELECT pg_advisory_lock(:namespace, hashtext(:key))"), params
            )
            try:
                yield
            finally:
                try:
                    await autocommit.execute(
                        text("SELECT pg_advisory_unlock(:namespace, hashtext(:key))"), params
                    )
                except Exception:
                    # Unsure whether it was released: drop the connection, which releases it.
                    log.warning("advisory unlock failed; discarding the connection")
                    await connection.invalidate()

    async def close(self) -> None:
        await self._engine.dispose()


__all__ = ["NAMESPACE", "PostgresEventIsolation"]
