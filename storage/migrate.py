"""Apply Alembic migrations from code: at bot start-up and from `python -m bot db upgrade`.

The Alembic configuration is built here rather than read from an alembic.ini, so the URL
comes from the bot's settings alone. It travels in `Config.attributes`, not as the
`sqlalchemy.url` option: ConfigParser would read the `%` of a URL-encoded password as
interpolation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine, is_sqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant shared by every instance of the bot; "LaporAmn" in ASCII.
_LOCK_ID = 0x4C61706F72416D6E


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at rows that do not exist (SQLite only checks after)."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_database(url: str, revision: str = "head") -> None:
    await _run(url, command.upgrade, revision)


async def downgrade_database(url: str, revision: str) -> None:
    await _run(url, command.downgrade, revision)


def upgrade_database_sync(url: str, revision: str = "head") -> None:
    """For callers without an event loop; inside one, await `upgrade_database` instead."""
    asyncio.run(upgrade_database(url, revision))


async def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def _run(url: str, step: Callable[[Config, str], None], revision: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if is_sqlite(url):
                await _run_on_sqlite(connection, step, revision)
            else:
                await _run_on_postgresql(connection, step, revision)
    finally:
        # Also ends the PostgreSQL session, releasing its advisory lock.
        await engine.dispose()


async def _run_on_sqlite(
    connection: AsyncConnection, step: Callable[[Config, str], None], revision: str
) -> None:
    # Batch migrations rebuild a table by copying it and dropping the original; with foreign
    # keys on, that DROP would cascade-delete the evidence and history of every report. The
    # pragma is ignored inside a transaction, so it goes first.
    await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    await connection.commit()
    # One IMMEDIATE transaction around all the steps: the write lock is taken before Alembic
    # reads the current version, so a second instance starting at the same time waits and
    # then finds nothing to do; and a failing step leaves the file as it was. Alembic sees
    # the transaction already open and leaves the commit to us.
    await connection.exec_driver_sql("BEGIN IMMEDIATE")
    await connection.run_sync(_alembic, step, revision)
    await connection.run_sync(_check_foreign_keys)
    await connection.commit()


async def _run_on_postgresql(
    connection: AsyncConnection, step: Callable[[Config, str], None], revision: str
) -> None:
    # Two instances starting at once must not both run the same migration. The lock belongs
    # to this database session, which lasts until the engine is disposed.
    await connection.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK_ID})")
    await connection.commit()
    await connection.run_sync(_alembic, step, revision)


def _alembic(connection: Connection, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    step(config, revision)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise ForeignKeyViolation(f"migration left dangling foreign keys in {tables}")


__all__ = [
    "MIGRATIONS_DIR",
    "ForeignKeyViolation",
    "alembic_config",
    "current_revision",
    "downgrade_database",
    "head_revision",
    "upgrade_database",
    "upgrade_database_sync",
]
