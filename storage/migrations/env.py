"""Alembic environment, driven by `storage.migrate` (no alembic.ini).

`storage.migrate` opens an async connection and calls Alembic inside `run_sync`, handing the
sync connection over in `config.attributes["connection"]`; that keeps migrations usable from a
running event loop (bot start-up). Given only a URL (attribute "url" or the main option
`sqlalchemy.url`), this file opens its own async engine instead.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from storage.db import create_engine, is_sqlite
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our TypeDecorators as the type they store, e.g. EncryptedText as sa.Text().

    A migration is a frozen picture of the schema: it must not import the models or the
    cipher, which keep changing after the migration was written.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        **options,
    )


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use storage.migrate.upgrade_database(url)")
    return str(url)


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if is_sqlite(url):
                # See storage.migrate: table rebuilds must not fire ON DELETE CASCADE.
                await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                await connection.commit()
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations(_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
