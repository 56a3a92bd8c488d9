"""INSERT … ON CONFLICT on SQLite and PostgreSQL, as text statements SQLAlchemy caches.

SQLAlchemy 2.0 keeps both dialects' Insert out of its statement cache, so a statement built
with `on_conflict_do_nothing()` / `on_conflict_do_update()` is compiled anew on every
execution, and these run on every update (the inbox row, the conversation state, outbox rows,
message ids). A `text()` statement is cached like any other, and ON CONFLICT … DO NOTHING /
DO UPDATE SET c = excluded.c … RETURNING is the same SQL on both (SQLite 3.35 or later). So
each statement is written once per kind of database from the table's metadata, every value
a `bindparam` of its column's type (encrypted columns and UTC times are processed as in any
insert) and RETURNING typed by `.columns()`. Measured alone on SQLite (README,
"Benchmarks"), the public builders cost 0.1–0.7 ms of CPU more per execution than this (the
inbox's insert 0.91 against 0.26 ms), and this is as fast as the subclasses of SQLAlchemy's
private classes it replaces.

A column the values leave out gets its Python default (`default=`), else NULL, as in a Core
insert; a table with a server-side default is refused rather than given NULL there.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnDefault,
    Executable,
    Select,
    Table,
    bindparam,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

Target = Table | type[Any]  # a table or a mapped class


def insert_or_skip(
    session: AsyncSession, target: Target, conflict: Sequence[str], returning: Any = None
) -> Executable:
    """INSERT … ON CONFLICT (conflict) DO NOTHING [RETURNING returning]: pass the values at
    execution (`session.scalar(statement, values)`, or a list of them for executemany)."""
    returned = () if returning is None else _keys([returning])
    return _prepared(session.get_bind().dialect, _table(target), tuple(conflict), (), returned)


def insert_or_update(
    session: AsyncSession, target: Target, conflict: Sequence[str], update: Sequence[str]
) -> Executable:
    """INSERT … ON CONFLICT (conflict) DO UPDATE SET each of `update` to the inserted value
    (`excluded`: the value is bound, and encrypted, once); values at execution."""
    dialect = session.get_bind().dialect
    return _prepared(dialect, _table(target), tuple(conflict), tuple(update), ())


def insert_select_or_skip(
    session: AsyncSession,
    target: Target,
    columns: Sequence[str],
    source: Select[Any],
    conflict: Sequence[str],
    returning: Sequence[Any],
) -> Executable:
    """INSERT INTO target (columns) SELECT … ON CONFLICT (conflict) DO NOTHING RETURNING …:
    a row whose values the database computes as it inserts (`source` is built once, with
    bound parameters; values at execution, one row per execution)."""
    dialect = session.get_bind().dialect
    key = (dialect.name, _table(target), tuple(columns), source, tuple(conflict), _keys(returning))
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED[key] = _insert_select(dialect, *key[1:])
    return statement


# (database, table, conflict, update, returning) -> the statement: a handful, all known.
_PREPARED: dict[tuple[object, ...], Executable] = {}


def _table(target: Target) -> Table:
    # The table, never the mapped class: the ORM's bulk insert path is a layer of work per
    # row for nothing (only ids ever come back).
    return target if isinstance(target, Table) else target.__table__


def _prepared(
    dialect: Dialect,
    table: Table,
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    returning: tuple[str, ...],
) -> Executable:
    key = (dialect.name, table, conflict, update, returning)
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED[key] = _insert_values(dialect, table, conflict, update, returning)
    return statement


def _insert_values(
    dialect: Dialect,
    table: Table,
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    returning: tuple[str, ...],
) -> Executable:
    quote = dialect.identifier_preparer.quote
    columns = [c for c in table.columns if c is not table.autoincrement_column]
    names = ", ".join(quote(c.name) for c in columns)
    values = ", ".join(f":{c.key}" for c in columns)
    if update:
        changes = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in _names(table, update))
        action = f"DO UPDATE SET {changes}"
    else:
        action = "DO NOTHING"
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        f"VALUES ({values}) ON CONFLICT ({_quoted(dialect, table, conflict)}) {action}"
    )
    return _statement(dialect, sql, [_value_of(column) for column in columns], table, returning)


def _insert_select(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    source: Select[Any],
    conflict: tuple[str, ...],
    returning: tuple[str, ...],
) -> Executable:
    select_sql, binds = _compiled(source, dialect.name == "postgresql")
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({_quoted(dialect, table, columns)}) {select_sql} "
        f"ON CONFLICT ({_quoted(dialect, table, conflict)}) DO NOTHING"
    )
    return _statement(dialect, sql, binds, table, returning)


def _compiled(source: Select[Any], postgres: bool) -> tuple[str, list[BindParameter[Any]]]:
    """The SELECT's SQL for this database with `:name` parameters (none of the casts asyncpg
    wants: text() adds them to its own parameters), and those parameters, typed."""
    named = (postgresql if postgres else sqlite).dialect(paramstyle="named")
    compiled = source.compile(dialect=named)
    binds: dict[str, BindParameter[Any]] = {}
    for bind, name in compiled.bind_names.items():
        if name not in binds:  # one parameter used twice (bot_id) is bound once
            binds[name] = bindparam(name, bind.value, type_=bind.type, required=bind.required)
    return str(compiled), list(binds.values())


def _statement(
    dialect: Dialect,
    sql: str,
    binds: list[BindParameter[Any]],
    table: Table,
    returning: tuple[str, ...],
) -> Executable:
    if not returning:
        return text(sql).bindparams(*binds)
    columns = [table.c[key] for key in returning]
    quoted = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    return text(f"{sql} RETURNING {quoted}").bindparams(*binds).columns(*columns)


def _value_of(column: Column[Any]) -> BindParameter[Any]:
    """A parameter of the column's type that falls back on its Python default, as an insert
    without that value would."""
    if column.server_default is not None:
        raise TypeError(f"{column}: a server-side default is not supported here")
    default = column.default
    if default is None:
        return bindparam(column.key, None, type_=column.type)
    if isinstance(default, ColumnDefault) and default.is_scalar:
        return bindparam(column.key, default.arg, type_=column.type)
    if isinstance(default, ColumnDefault) and default.is_callable:
        # SQLAlchemy wraps a default that takes no argument in one taking the context.
        value = functools.partial(default.arg, None)
        return bindparam(column.key, type_=column.type, callable_=value)
    raise TypeError(f"{column}: a default computed by SQL is not supported here")


def _keys(returning: Sequence[Any]) -> tuple[str, ...]:
    """Mapped attributes or the table's columns, by key (`==` on them builds SQL)."""
    return tuple(column.key for column in returning)


def _names(table: Table, keys: Sequence[str]) -> list[str]:
    return [table.c[key].name for key in keys]


def _quoted(dialect: Dialect, table: Table, keys: Sequence[str]) -> str:
    return ", ".join(dialect.identifier_preparer.quote(name) for name in _names(table, keys))


__all__ = ["insert_or_skip", "insert_or_update", "insert_select_or_skip"]
