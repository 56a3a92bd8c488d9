"""Giving a SQLite file back the room that forgotten values leave empty.

Outbox rows stay after delivery (their status, attempts and the message each became) while
what a resident's row said is forgotten, and handled updates keep their id for 25 hours
after their payload is dropped. SQLite reuses the room a shrunken row leaves only for rows
that sort into the same page, and these tables only grow at their end: the room stays empty
and the file grows by about what was forgotten. After figure 1's residents had made 153
reports, 93% of the inbox's pages and 82% of the outbox's were unused; VACUUM rewrote that
12.9 MB file into 3.5 MB (README, "Data lifecycle"). PostgreSQL reuses such room by
itself (autovacuum).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import write_turns


@dataclass(frozen=True)
class Compaction:
    bytes_before: int
    bytes_after: int
    seconds: float


async def compact(session_factory: async_sessionmaker[AsyncSession]) -> Compaction | None:
    """VACUUM the SQLite file in a write turn (updates and the sender queue meanwhile, as
    for any writer); None elsewhere."""
    engine = session_factory.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return None
    async with write_turns(session_factory):
        return await vacuum(engine)


async def vacuum(engine: AsyncEngine) -> Compaction:
    """Rewrite a SQLite file without its empty room, then fold the WAL back in so that the
    file itself shrinks (also what storage/identity_upgrade.py does after rewriting rows that
    named residents in clear, so the old values leave the file)."""
    started = time.monotonic()
    async with engine.connect() as connection:
        # Outside any transaction: SQLite refuses to VACUUM inside one.
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        before = await _size(autocommit)
        await autocommit.exec_driver_sql("VACUUM")
        # VACUUM wrote the new file into the WAL: folding it back in shrinks the file itself.
        await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        after = await _size(autocommit)
    return Compaction(before, after, time.monotonic() - started)


async def _size(connection: AsyncConnection) -> int:
    pages = await connection.exec_driver_sql("PRAGMA page_count")
    size = await connection.exec_driver_sql("PRAGMA page_size")
    return int(pages.scalar_one()) * int(size.scalar_one())


__all__ = ["Compaction", "compact", "vacuum"]
