"""INSERT … ON CONFLICT statements that SQLAlchemy caches, on SQLite and PostgreSQL alike.

SQLAlchemy 2.0 keeps both dialects' Insert out of its statement cache (`inherit_cache =
False`: the ON CONFLICT clause is not part of their cache key), so each such statement was
compiled anew on every execution: four in every Kirim (three outbox rows and the follow-up
job), one for each message id remembered and one for every step of a conversation (README,
"Benchmarks", "Statements built once"). Here every distinct clause gets a class of its own and
a class only ever carries that clause: the class is part of the cache key, so the key covers
the clause too.

Each statement is also built once per kind of database, and its values are given at
execution: building the outbox insert and its cache key took 0.36 ms of the 1.0 ms it takes
to run (measured alone), on every row of every Kirim.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

Target = Table | type[Any]  # a table or a mapped class
Insert = postgresql.Insert | sqlite.Insert


class _SqliteInsert(sqlite.Insert):
    inherit_cache = True  # its ON CONFLICT clause is keyed (below)


class _PostgresInsert(postgresql.Insert):
    inherit_cache = True


@functools.cache
def _clause_class(postgres: bool, conflict: tuple[str, ...], update: tuple[str, ...]) -> type:
    """One class per distinct clause, so the class alone is its cache key."""
    dialect = postgresql.dml if postgres else sqlite.dml
    base = dialect.OnConflictDoUpdate if update else dialect.OnConflictDoNothing
    name = f"{base.__name__}_{'_'.join(conflict)}__{'_'.join(update)}"
    return type(name, (base,), {"inherit_cache": True, "_cache_key_traversal": []})


def insert_or_skip(
    session: AsyncSession, target: Target, conflict: Sequence[str], returning: Any = None
) -> Executable:
    """INSERT … ON CONFLICT (conflict) DO NOTHING [RETURNING returning]: pass the values at
    execution (`session.scalar(statement, values)`, or a list of them for executemany)."""
    return _prepared(_postgres(session), target, tuple(conflict), (), returning)


def insert_or_update(
    session: AsyncSession, target: Target, conflict: Sequence[str], update: Sequence[str]
) -> Executable:
    """INSERT … ON CONFLICT (conflict) DO UPDATE SET each of `update` to the inserted value
    (`excluded`: the value is bound, and encrypted, once); values at execution."""
    return _prepared(_postgres(session), target, tuple(conflict), tuple(update), None)


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
    key = (_postgres(session), target, tuple(columns), source, tuple(conflict), tuple(returning))
    statement = _PREPARED.get(key)
    if statement is None:
        postgres = key[0]
        table = target if isinstance(target, Table) else target.__table__
        built: Insert = (_PostgresInsert if postgres else _SqliteInsert)(table).from_select(
            list(columns), source
        )
        built._post_values_clause = _clause_class(postgres, tuple(conflict), ())(
            index_elements=list(conflict)
        )
        statement = _PREPARED[key] = built.returning(*returning)
    return statement


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# (postgres, target, conflict, update, returning) -> the statement: a handful, all known.
_PREPARED: dict[tuple[object, ...], Executable] = {}


def _prepared(
    postgres: bool,
    target: Target,
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    returning: Any,
) -> Executable:
    key = (postgres, target, conflict, update, returning)
    statement = _PREPARED.get(key)
    if statement is None:
        built = _build(postgres, target, conflict, update)
        statement = built if returning is None else built.returning(returning)
        _PREPARED[key] = statement
    return statement


def _build(
    postgres: bool, target: Target, conflict: tuple[str, ...], update: tuple[str, ...]
) -> Insert:
    # Always the table: a mapped class with a parameter dict would take the ORM's bulk
    # insert path, a layer of work per row for nothing (only ids ever come back).
    table = target if isinstance(target, Table) else target.__table__
    statement: Insert = (_PostgresInsert if postgres else _SqliteInsert)(table)
    clause_class = _clause_class(postgres, conflict, update)
    clause: ClauseElement
    if update:
        changes = {name: statement.excluded[name] for name in update}
        clause = clause_class(index_elements=list(conflict), set_=changes)
    else:
        clause = clause_class(index_elements=list(conflict))
    # What on_conflict_do_nothing()/_update() set, with a clause of our keyed class.
    statement._post_values_clause = clause
    return statement


__all__ = ["insert_or_skip", "insert_or_update", "insert_select_or_skip"]
