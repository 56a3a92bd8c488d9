"""Migrations go up and down cleanly, and end where the models say the schema is."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.db import create_engine
from storage.migrate import (
    alembic_config,
    current_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from storage.models import Base


def _revisions_oldest_first() -> list[Script]:
    scripts = ScriptDirectory.from_config(alembic_config())
    return list(reversed(list(scripts.walk_revisions("base", "heads"))))


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_stairway(empty_database_url: str) -> None:
    url = empty_database_url
    await upgrade_database(url)
    assert await current_revision(url) == head_revision()

    for revision in reversed(_revisions_oldest_first()):
        previous = revision.down_revision
        assert previous is None or isinstance(previous, str), "merge revisions need a test"
        await downgrade_database(url, previous or "base")
        assert await current_revision(url) == previous
        await upgrade_database(url, revision.revision)
        await downgrade_database(url, previous or "base")

    assert await _tables(url) == set()
    for revision in _revisions_oldest_first():
        await upgrade_database(url, revision.revision)
        assert await current_revision(url) == revision.revision
    assert await _tables(url) == set(Base.metadata.tables)


def _same_storage(inspected: TypeEngine[Any], declared: TypeEngine[Any]) -> bool:
    """A TypeDecorator (EncryptedText, UTCDateTime) is its impl in the database."""
    if not isinstance(declared, TypeDecorator):
        return False
    impl = declared.impl_instance
    return type(impl).__name__ == type(inspected).__name__ or isinstance(inspected, type(impl))


def _meaningful(diff: Any) -> bool:
    if isinstance(diff, tuple) and diff and diff[0] == "modify_type":
        *_, inspected, declared = diff
        return not _same_storage(inspected, declared)
    return True


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    flat: list[Any] = []
    for diff in compare_metadata(context, Base.metadata):
        # Column changes come grouped in a list per column.
        flat.extend(diff if isinstance(diff, list) else [diff])
    return [diff for diff in flat if _meaningful(diff)]


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_schema_differences)
    assert differences == []


async def test_instances_starting_together_migrate_once(empty_database_url: str) -> None:
    url = empty_database_url
    # The file must exist first: two connections creating a SQLite file at the same instant
    # race on switching it to WAL, before any migration code runs (see storage.db).
    assert await current_revision(url) is None
    await asyncio.gather(*(upgrade_database(url) for _ in range(3)))
    assert await current_revision(url) == head_revision()
