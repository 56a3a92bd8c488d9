"""Conversation state in the database: survives restarts, joins the update's transaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.fsm_context import ClearingFSMContext
from storage.crypto import Cipher
from storage.fsm_storage import SQLAlchemyStorage, storage_key
from storage.identity import pseudonym
from storage.models import FsmState
from storage.repositories.states import write_pending
from storage.session_context import current_session

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


class Form(StatesGroup):
    kecamatan = State()
    kelurahan = State()


async def _rows(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(FsmState)) or 0)


async def test_state_and_data_round_trip(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}

    await storage.set_state(KEY, Form.kecamatan)
    assert await storage.get_state(KEY) == "Form:kecamatan"
    await storage.set_state(KEY, "Form:kelurahan")
    assert await storage.get_state(KEY) == "Form:kelurahan"

    await storage.set_data(KEY, {"kecamatan_id": 3, "parts": ["satu", "dua"]})
    assert await storage.get_data(KEY) == {"kecamatan_id": 3, "parts": ["satu", "dua"]}
    assert await storage.get_value(KEY, "kecamatan_id") == 3
    assert await storage.get_state(KEY) == "Form:kelurahan"


async def test_update_data_merges_and_returns_a_copy(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    merged = await storage.update_data(KEY, {"a": 1})
    assert merged == {"a": 1}
    merged = await storage.update_data(KEY, {"b": 2, "a": 3})
    assert merged == {"a": 3, "b": 2}
    merged["c"] = 4
    assert await storage.get_data(KEY) == {"a": 3, "b": 2}


@contextlib.contextmanager
def _fsm_statements(session_factory: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """The verbs of the statements on the FSM table while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "fsm_state" in statement:
            statements.append(statement.split()[0].upper())

    engine = session_factory.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextlib.asynccontextmanager
async def _an_update(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """What the database middleware does around a handler (bot/middlewares/database.py):
    the update's session in `current_session`, its held rows written just before the commit."""
    async with session_factory() as session, session.begin():
        token = current_session.set(session)
        try:
            yield session
            await write_pending(session)
        finally:
            current_session.reset(token)


async def test_concurrent_updates_lose_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    await asyncio.gather(*(storage.update_data(KEY, {f"k{i}": i}) for i in range(12)))
    assert await storage.get_data(KEY) == {f"k{i}": i for i in range(12)}


async def test_clearing_state_and_data_deletes_the_row(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_state(KEY, Form.kecamatan)
    await storage.set_data(KEY, {"draft": "x"})

    await storage.set_state(KEY, None)
    assert await _rows(session_factory) == 1, "data is still there"
    await storage.set_data(KEY, {})
    assert await _rows(session_factory) == 0
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}

    # Emptiness alone never leaves a row behind either.
    assert await storage.update_data(KEY, {}) == {}
    await storage.set_state(KEY, None)
    assert await _rows(session_factory) == 0


async def test_survives_a_restart(session_factory: async_sessionmaker[AsyncSession]) -> None:
    first = SQLAlchemyStorage(session_factory)
    await first.set_state(KEY, Form.kelurahan)
    await first.update_data(KEY, {"kecamatan_id": 5})
    await first.close()

    second = SQLAlchemyStorage(session_factory)
    assert await second.get_state(KEY) == "Form:kelurahan"
    assert await second.get_data(KEY) == {"kecamatan_id": 5}


async def test_keys_keep_conversations_apart(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    keys = [
        KEY,
        StorageKey(bot_id=2, chat_id=42, user_id=42),
        StorageKey(bot_id=1, chat_id=42, user_id=42, thread_id=7),
        StorageKey(bot_id=1, chat_id=42, user_id=42, business_connection_id="bc"),
        StorageKey(bot_id=1, chat_id=42, user_id=42, destiny="other"),
        StorageKey(bot_id=1, chat_id=-100, user_id=42),
    ]
    for index, key in enumerate(keys):
        await storage.set_data(key, {"index": index})
    assert [await storage.get_data(key) for key in keys] == [{"index": i} for i in range(6)]
    assert len({storage_key(key) for key in keys}) == len(keys)


def test_overlong_key_is_hashed_to_fit(cipher: Cipher) -> None:
    key = StorageKey(bot_id=1, chat_id=2, user_id=3, business_connection_id="b" * 300)
    assert len(storage_key(key)) <= 255
    assert storage_key(key) == storage_key(key)


def test_key_names_nobody(cipher: Cipher) -> None:
    """The row key holds pseudonyms, never the Telegram ids of the chat or the user."""
    key = storage_key(StorageKey(bot_id=1, chat_id=7345678901, user_id=7345678901))
    assert "7345678901" not in key
    assert key.startswith(f"{pseudonym(7345678901)}:{pseudonym(7345678901)}:")


async def test_uses_the_updates_session_and_its_rollback(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_data(KEY, {"kept": True})

    async with session_factory() as session:
        token = current_session.set(session)
        try:
            await session.begin()
            await storage.set_state(KEY, Form.kecamatan)
            await storage.update_data(KEY, {"lost": True})
            # Visible inside the update's transaction...
            assert await storage.get_state(KEY) == "Form:kecamatan"
            await session.rollback()
        finally:
            current_session.reset(token)

    # ...and gone with its rollback: nothing was committed behind the middleware's back.
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {"kept": True}


async def test_commits_with_the_updates_session(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    async with session_factory() as session:
        token = current_session.set(session)
        try:
            async with session.begin():
                await storage.set_state(KEY, Form.kelurahan)
                await storage.set_data(KEY, {"draft": 1})
        finally:
            current_session.reset(token)

    assert await storage.get_state(KEY) == "Form:kelurahan"
    assert await storage.get_data(KEY) == {"draft": 1}


async def test_inside_an_update_the_row_is_read_once_and_kept_true(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """aiogram and our middlewares ask several times per update: one read, and what is
    read back after a write is what the database would give, never a shared object."""
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_state(KEY, Form.kecamatan)
    await storage.set_data(KEY, {"parts": ["satu"]})
    reads: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "fsm_state" in statement:
            reads.append(statement)

    engine = session_factory.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with _an_update(session_factory):
            assert await storage.get_state(KEY) == "Form:kecamatan"
            draft = await storage.get_data(KEY)
            assert await storage.get_state(KEY) == "Form:kecamatan"
            draft["parts"].append("dua")  # the caller's copy, not the stored draft
            assert await storage.get_data(KEY) == {"parts": ["satu"]}
            await storage.set_data(KEY, {"parts": ("satu", "dua")})
            assert await storage.get_data(KEY) == {"parts": ["satu", "dua"]}  # as JSON
            # Finishing the report: no row left, in as few statements as it takes.
            await storage.set_state(KEY, None)
            await storage.set_data(KEY, {})
            assert await storage.get_state(KEY) is None
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 1, reads
    assert await _rows(session_factory) == 0
    # A new update reads afresh.
    assert await storage.get_data(KEY) == {}


async def test_inside_an_update_a_merge_and_a_clear_write_only_what_they_must(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Once the update has read the row (aiogram's FSM middleware does, under the user's
    lock), merging an answer is one write, and so is finishing the report."""
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_state(KEY, Form.kecamatan)
    await storage.set_data(KEY, {"kecamatan": "Jekan Raya"})

    async def in_an_update(*steps: str) -> None:
        async with _an_update(session_factory):
            assert await storage.get_state(KEY) == "Form:kecamatan"
            if "merge" in steps:
                merged = await storage.update_data(KEY, {"kelurahan": "Palangka"})
                assert merged == {"kecamatan": "Jekan Raya", "kelurahan": "Palangka"}
                merged["kelurahan"] = "changed by the caller"
                assert (await storage.get_data(KEY))["kelurahan"] == "Palangka"
            if "clear" in steps:
                await storage.set_state(KEY, None)
                await storage.set_data(KEY, {})

    with _fsm_statements(session_factory) as statements:
        await in_an_update("merge")
        assert statements == ["SELECT", "INSERT"], statements  # the read, one upsert
        assert await storage.get_data(KEY) == {"kecamatan": "Jekan Raya", "kelurahan": "Palangka"}
        statements.clear()
        await in_an_update("clear")
        assert statements == ["SELECT", "DELETE"], statements
    assert await _rows(session_factory) == 0


async def test_the_bots_clear_is_one_delete_and_the_update_sees_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The bot's FSM context (bot/fsm_context.py) ends a conversation with one statement."""
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_state(KEY, Form.kecamatan)
    await storage.set_data(KEY, {"kecamatan": "Jekan Raya"})
    context = ClearingFSMContext(storage=storage, key=KEY)
    with _fsm_statements(session_factory) as statements:
        async with _an_update(session_factory):
            assert await context.get_state() == "Form:kecamatan"
            await context.clear()
            assert await context.get_state() is None
            assert await context.get_data() == {}
    assert statements == ["SELECT", "DELETE"], statements
    assert await _rows(session_factory) == 0
    # Outside an update it is one transaction of its own, and as thorough.
    await storage.set_data(KEY, {"kecamatan": "Pahandut"})
    await context.clear()
    assert await _rows(session_factory) == 0


async def test_inside_an_update_a_step_is_written_once_before_the_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A step sets the state and saves the draft: read back at once within the update, and
    written with one statement at its end (it was an upsert for each)."""
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_state(KEY, Form.kecamatan)
    await storage.set_data(KEY, {"kecamatan": "Jekan Raya"})
    with _fsm_statements(session_factory) as statements:
        async with _an_update(session_factory):
            assert await storage.get_state(KEY) == "Form:kecamatan"
            await storage.set_state(KEY, Form.kelurahan)
            await storage.update_data(KEY, {"kelurahan": "Palangka"})
            await storage.set_data(KEY, {**await storage.get_data(KEY), "rt": 3})
            assert await storage.get_state(KEY) == "Form:kelurahan"
            assert statements == ["SELECT"], "written before the update's end"
        assert statements == ["SELECT", "INSERT"], statements

    # What the next update (or a restarted bot) reads: both halves.
    fresh = SQLAlchemyStorage(session_factory)
    assert await fresh.get_state(KEY) == "Form:kelurahan"
    assert await fresh.get_data(KEY) == {
        "kecamatan": "Jekan Raya",
        "kelurahan": "Palangka",
        "rt": 3,
    }


async def test_inside_an_update_that_fails_nothing_is_written(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = SQLAlchemyStorage(session_factory)
    await storage.set_state(KEY, Form.kecamatan)
    await storage.set_data(KEY, {"kecamatan": "Jekan Raya"})
    with _fsm_statements(session_factory) as statements, contextlib.suppress(OSError):
        async with _an_update(session_factory):
            assert await storage.get_state(KEY) == "Form:kecamatan"
            await storage.set_state(KEY, Form.kelurahan)
            await storage.update_data(KEY, {"kelurahan": "Palangka"})
            raise OSError("the handler failed")
    assert statements == ["SELECT"], statements
    assert await storage.get_state(KEY) == "Form:kecamatan"
    assert await storage.get_data(KEY) == {"kecamatan": "Jekan Raya"}


async def test_inside_an_update_a_row_it_did_not_read_stays_right(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Half of an unread row is unknown: a state or a draft alone is written at once, as
    outside an update; a merge reads the row locked, and then counts as read."""
    storage = SQLAlchemyStorage(session_factory)
    other = StorageKey(bot_id=1, chat_id=43, user_id=43)
    await storage.set_data(KEY, {"kecamatan": "Jekan Raya"})
    await storage.set_state(other, Form.kecamatan)
    with _fsm_statements(session_factory) as statements:
        async with _an_update(session_factory):
            await storage.set_state(KEY, Form.kelurahan)
            assert statements == ["INSERT"]  # the state alone: the draft is not known here
            merged = await storage.update_data(other, {"kelurahan": "Palangka"})
            assert merged == {"kelurahan": "Palangka"}
            await storage.set_state(other, Form.kelurahan)
            assert statements == ["INSERT", "INSERT", "SELECT"], statements
        assert statements == ["INSERT", "INSERT", "SELECT", "INSERT"], statements
    assert await storage.get_state(KEY) == "Form:kelurahan"
    assert await storage.get_data(KEY) == {"kecamatan": "Jekan Raya"}
    assert await storage.get_state(other) == "Form:kelurahan"
    assert await storage.get_data(other) == {"kelurahan": "Palangka"}


async def test_merges_of_updates_that_did_not_read_the_row_lose_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Held until the commit, a merge still keeps the row locked from its read on."""
    storage = SQLAlchemyStorage(session_factory)

    async def merge(index: int) -> None:
        async with _an_update(session_factory):
            await storage.update_data(KEY, {f"k{index}": index})

    await asyncio.gather(*(merge(i) for i in range(8)))
    assert await storage.get_data(KEY) == {f"k{i}": i for i in range(8)}
