"""aiogram's FSM storage in the `fsm_state` table, so a half-written report survives a restart.

Inside a Telegram update the storage joins the update's session (see `session_context`): the
draft changes and the report it produces commit together, or roll back together; what an
update changes is written once, just before its commit (storage/repositories/states.py).
Outside one (a job, a test) it uses a short session of its own and writes at once.

Rows are written with Core statements rather than ORM objects, so they never sit in the
update's identity map where a later flush could overwrite a newer value. The `data` column is
`EncryptedJSON`: a draft is encrypted before it reaches the driver. An empty draft is stored
as NULL so "nothing left in this row" can be decided in SQL without decrypting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import json_codec
from storage.crypto import get_cipher
from storage.db import write_transaction
from storage.identity import chat_key, day
from storage.models import FsmState, utcnow
from storage.on_conflict import insert_or_skip, insert_or_update
from storage.repositories.states import DELETE_ROW, SELECT_ROW, StateRow, hold
from storage.session_context import current_session

_table = cast(Table, FsmState.__table__)
_KEY_LIMIT = 255


def storage_key(key: StorageKey) -> str:
    """A stable row key holding every part aiogram may use to tell two conversations apart,
    the chat and the user by pseudonym (storage/identity.py): a draft's row must not say
    whose it is. Pseudonyms lead the key, so a change of key can rewrite them (key_rotation)."""
    parts = (
        chat_key(key.user_id),
        chat_key(key.chat_id),
        key.bot_id,
        key.thread_id if key.thread_id is not None else "",
        key.business_connection_id or "",
        key.destiny,
    )
    text = ":".join(str(part) for part in parts)
    if len(text) <= _KEY_LIMIT:
        return text
    # A long business connection id or destiny must not make the key collide or overflow.
    return f"{parts[0]}:{parts[1]}:" + get_cipher().blind_index(text)


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class SQLAlchemyStorage(BaseStorage):
    """aiogram's five-method storage over one table; safe to share between bot instances.

    Inside an update the row is read once and then kept, per key, with the update's session
    (`session.info`): aiogram's filters and our handlers ask for the state and the draft
    several times per update, and each read is a round trip. Only this storage writes the
    table while the update holds its user's lock (events isolation), so the copy stays true
    until the session ends; it never outlives the session.

    Changes to a row read in the update are made to that copy and held (states.hold); the
    database middleware writes them, one statement per row, just before the commit
    (states.write_pending). A row not read in the update is written at once, as outside one:
    half of it is unknown.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[tuple[AsyncSession, dict[str, StateRow] | None]]:
        ambient = current_session.get()
        if ambient is not None:
            # The update's middleware commits or rolls back; we only add to its transaction.
            yield ambient, ambient.info.setdefault(_CACHE, {})
            return
        async with write_transaction(self._session_factory) as session:
            yield session, None

    async def _row(
        self, session: AsyncSession, cache: dict[str, StateRow] | None, key: StorageKey
    ) -> StateRow:
        name = storage_key(key)
        if cache is not None and name in cache:
            return cache[name]
        found = (await session.execute(SELECT_ROW, {"fsm_key": name})).first()
        row = StateRow(found.state, found.data) if found is not None else StateRow(None, None)
        if cache is not None:
            cache[name] = row
        return row

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = _state_name(state)
        async with self._session() as (session, cache):
            row_key = storage_key(key)
            if cache is not None and (known := cache.get(row_key)) is not None:
                _hold(session, cache, row_key, name, known.data)
            elif name is not None:
                await _upsert(session, key, {"state": name})
            else:
                await session.execute(
                    update(_table)
                    .where(_table.c.key == row_key)
                    .values(state=None, updated_at=day(utcnow()))
                )
                # Unread, so its data may be empty.
                await _delete_if_empty(session, key)

    async def forget(self, key: StorageKey) -> None:
        """State and data gone at once, in one statement (aiogram's clear() is two writes:
        no state, then no data)."""
        async with self._session() as (session, cache):
            if cache is None:
                await _delete(session, key)
            else:
                _hold(session, cache, storage_key(key), None, None)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as (session, cache):
            return (await self._row(session, cache, key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session() as (session, cache):
            row_key = storage_key(key)
            if cache is not None and (known := cache.get(row_key)) is not None:
                _hold(session, cache, row_key, known.state, _as_stored(data))
            else:
                await _write_data(session, key, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as (session, cache):
            # A deep copy: the caller may change what it got without changing the cache.
            return _json_draft((await self._row(session, cache, key)).data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """Merge into the stored data in one transaction, with the row locked meanwhile."""
        async with self._session() as (session, cache):
            row_key = storage_key(key)
            if cache is not None and (known := cache.get(row_key)) is not None:
                # Read in this update, under its user's lock: still true (see the class).
                merged = _as_stored({**(known.data or {}), **data})
                return _json_draft(_hold(session, cache, row_key, known.state, merged))
            # Writing first makes the row exist and, on SQLite, makes the driver open the
            # transaction (it starts one only at the first write) and take the write lock, so
            # the read below cannot be overtaken by another writer. On PostgreSQL the
            # FOR UPDATE lock does the same.
            await _insert_missing(session, key)
            current = (
                await session.execute(
                    select(_table.c.state, _table.c.data)
                    .where(_table.c.key == row_key)
                    .with_for_update()
                )
            ).one()
            if cache is None:
                merged = {**(current.data or {}), **data}
                await _write_data(session, key, merged)
                return merged
            # Locked until the update commits: from here on, as if read in the update.
            merged = _as_stored({**(current.data or {}), **data})
            return _json_draft(_hold(session, cache, row_key, current.state, merged))

    async def close(self) -> None:
        """Nothing to release: the engine belongs to whoever made the session factory."""


_CACHE = "fsm_rows"


def known_row(session: AsyncSession, row_key: str, row: StateRow) -> None:
    """A conversation's row read by the update with its person (users.seen_with_state): the
    storage's first read in this update takes it from here, as if it had read it itself."""
    session.info.setdefault(_CACHE, {}).setdefault(row_key, row)


def _hold(
    session: AsyncSession,
    cache: dict[str, StateRow],
    row_key: str,
    state: str | None,
    data: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The row's new value: what the update reads back from now on (the cache), and what
    is written just before its commit (states.hold)."""
    cache[row_key] = StateRow(state, data)
    hold(session, row_key, state, data)
    return data


def _as_stored(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """As the column would give it back (JSON: tuples become lists...), as a copy of its
    own, and None when empty."""
    stored: dict[str, Any] = json_codec.loads(json_codec.dumps(dict(data)))
    return stored or None


def _json_copy(value: Any) -> Any:
    """A deep copy of what the JSON column holds (dicts, lists, scalars); copy.deepcopy did
    the same at several times the cost, on every read of a draft (README, "Benchmarks")."""
    if isinstance(value, dict):
        return {name: _json_copy(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _json_draft(data: dict[str, Any] | None) -> dict[str, Any]:
    """The caller's own copy of a stored draft: changing it changes nothing stored."""
    return {name: _json_copy(item) for name, item in (data or {}).items()}


async def _delete(session: AsyncSession, key: StorageKey) -> None:
    # A finished or cancelled conversation leaves no row: no trace that this chat ever
    # reported, which matters when the resident declined to be contacted.
    await session.execute(DELETE_ROW, {"fsm_key": storage_key(key)})


async def _write_data(session: AsyncSession, key: StorageKey, data: dict[str, Any]) -> None:
    if data:
        await _upsert(session, key, {"data": data})
        return
    await session.execute(
        update(_table)
        .where(_table.c.key == storage_key(key))
        .values(data=None, updated_at=day(utcnow()))
    )
    await _delete_if_empty(session, key)


async def _delete_if_empty(session: AsyncSession, key: StorageKey) -> None:
    # A finished or cancelled conversation leaves no row: no trace that this chat ever
    # reported, which matters when the resident declined to be contacted.
    await session.execute(
        delete(_table).where(
            _table.c.key == storage_key(key),
            _table.c.state.is_(None),
            _table.c.data.is_(None),
        )
    )


async def _upsert(session: AsyncSession, key: StorageKey, values: dict[str, Any]) -> None:
    statement = insert_or_update(session, _table, ("key",), (*values, "updated_at"))
    await session.execute(
        statement, {"key": storage_key(key), "updated_at": day(utcnow()), **values}
    )


async def _insert_missing(session: AsyncSession, key: StorageKey) -> None:
    statement = insert_or_skip(session, _table, ("key",))
    await session.execute(
        statement,
        {"key": storage_key(key), "state": None, "data": None, "updated_at": day(utcnow())},
    )


__all__ = ["SQLAlchemyStorage", "storage_key"]
