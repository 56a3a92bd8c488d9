"""`python -m bench.transaction_cost`: what a press's own transaction costs the event loop, and
how much of that is SQLAlchemy executing its statements.

Figure 1's CPU per update is mostly library machinery (README, "Benchmarks"). This times, on
the event loop's thread (`time.thread_time`, SQLite, one process), the transaction that
bot/middlewares/database.py runs for a press in the report: a short write turn; the person
read with their conversation's row; the row written back; the reply queued in the outbox;
the inbox row marked handled; the commit. Then the same transaction with the same statements,
each compiled once by SQLAlchemy for SQLite and run on the turn's `sqlite3` connection, with
the values converted by the column types as SQLAlchemy converts them and the person made an
ORM object the handlers could use: what a way of executing beside SQLAlchemy's would save. The
bot has no such way; this measures what one would be worth.

    make bench-transaction
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from cryptography.fernet import Fernet
from sqlalchemy import Executable, Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bot import event_loop
from storage.crypto import Cipher, configure_cipher
from storage.db import create_engine, create_session_factory, write_turns
from storage.identity import day, hour, pseudonym
from storage.migrate import upgrade_database
from storage.models import FsmState, OutboxMessage, User
from storage.on_conflict import insert_or_skip, insert_or_update
from storage.repositories import Repo
from storage.repositories import inbox as inbox_rows
from storage.repositories import outbox as outbox_rows
from storage.repositories.inbox import _MARK_DONE
from storage.repositories.states import hold, write_pending
from storage.repositories.users import _SEEN_WITH_STATE

TELEGRAM_ID = 5_550_001
FSM_KEY = "bench:transaction"
# A draft and a reply of the sizes a report's middle steps have.
DRAFT = {"step": "when", "answers": {"danger": "no", "relation": "witness"}, "note": "x" * 200}
REPLY = {"method": "sendMessage", "params": {"chat_id": 1, "text": "y" * 300}}


@dataclass(frozen=True)
class Direct:
    """A statement compiled once for SQLite: its SQL, and its parameters in order, each with
    the bind processor of its type (None: passed as it is)."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    # The values bound in the statement itself (`.values(status=DONE)`), for names not given.
    # Not a column's Python default (a callable, e.g. the time of the insert): evaluated here
    # it would be frozen at compile time, so a value it stands for must be given.
    bound: dict[str, Any]

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect) -> Direct:
        assert isinstance(statement, ClauseElement)
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        names = tuple(compiled.positiontup or ())
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        bound = {
            name: compiled.binds[name].value
            for name in names
            if compiled.binds[name].callable is None
        }
        return cls(str(compiled), names, processors, bound)

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        given = {**self.bound, **values}
        return tuple(
            given[name] if process is None else process(given[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


@dataclass
class Bench:
    sessions: async_sessionmaker[AsyncSession]
    pending_rows: Iterator[int]
    keys: Iterator[int]
    now: datetime
    presses: int = 0

    def reply(self, recipient: int) -> dict[str, Any]:
        return {
            "dedupe_key": f"bench-{next(self.keys)}",
            "lane": 1,
            "kind": "message",
            "recipient_id": recipient,
            "payload": REPLY,
            "report_id": None,
            "status": "pending",
            "attempts": 0,
            "not_before": self.now,
            "claimed_until": None,
            "claimed_by": None,
            "created_at": self.now,
            "sent_at": None,
            "result_message_id": None,
            "last_error": None,
        }


async def _prepare(work: Path, pending: int) -> Bench:
    configure_cipher(Cipher([Fernet.generate_key().decode()]))
    url = f"sqlite+aiosqlite:///{work / 'transaction.db'}"
    await upgrade_database(url)
    sessions = create_session_factory(create_engine(url))
    now = hour(datetime.now(UTC))
    async with write_turns(sessions, short=True), sessions() as session, session.begin():
        await Repo.over(session).users.seen(TELEGRAM_ID)
        hold(session, FSM_KEY, "Report:when", DRAFT)
        await write_pending(session)
        for update_id in range(pending):
            row = inbox_rows.new_row(1, update_id, 7, {"update_id": update_id}, now)
            await inbox_rows.store_and_take(session, row, take=True, worker_id="bench", until=now)
    first = await _first_inbox_row(sessions)
    return Bench(sessions, iter(range(first, first + pending)), itertools.count(), now)


async def _first_inbox_row(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        connection = await session.connection()
        found = await connection.exec_driver_sql("SELECT min(id) FROM inbox")
        return int(found.scalar_one())


async def empty(bench: Bench) -> None:
    """A short write turn's transaction with nothing in it."""
    async with (
        write_turns(bench.sessions, short=True),
        bench.sessions() as session,
        session.begin(),
    ):
        await session.connection()


async def through_sqlalchemy(bench: Bench) -> None:
    """A press's transaction as the update middleware runs it."""
    async with (
        write_turns(bench.sessions, short=True),
        bench.sessions() as session,
        session.begin(),
    ):
        user, _ = await Repo.over(session).users.seen_with_state(TELEGRAM_ID, FSM_KEY)
        hold(session, FSM_KEY, "Report:when", DRAFT)
        await write_pending(session)
        outbox_rows.hold(session, bench.reply(user.id))
        await outbox_rows.write_held(session)
        await inbox_rows.mark_done(session, next(bench.pending_rows), done_at=bench.now)
        bench.presses += 1


class Beside:
    """The same transaction, its statements run on the turn's sqlite3 connection."""

    def __init__(self, dialect: Dialect, session: AsyncSession) -> None:
        self.read = Direct.of(_SEEN_WITH_STATE, dialect)
        self.columns = list(_SEEN_WITH_STATE.selected_columns)
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.columns
        ]
        fsm = cast(Table, FsmState.__table__)
        self.write_state = Direct.of(
            insert_or_update(session, fsm, ("key",), ("state", "data", "updated_at")), dialect
        )
        self.queue = Direct.of(insert_or_skip(session, OutboxMessage, ("dedupe_key",)), dialect)
        self.mark_done = Direct.of(_MARK_DONE, dialect)
        self.user_keys = [column.key for column in cast(Table, User.__table__).columns]

    async def run(self, bench: Bench, session: AsyncSession) -> None:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        # aiosqlite's own sqlite3 connection, as storage/sqlite_driver.py reaches it.
        sqlite = cast(sqlite3.Connection, raw.driver_connection._conn)  # type: ignore[union-attr]
        values = {"telegram_id": TELEGRAM_ID, "pseudonym": pseudonym(TELEGRAM_ID)}
        row = sqlite.execute(
            self.read.sql, self.read.parameters({**values, "fsm_key": FSM_KEY})
        ).fetchone()
        read = [
            value if process is None else process(value)
            for process, value in zip(self.results, row, strict=True)
        ]
        user = User(**dict(zip(self.user_keys, read[: len(self.user_keys)], strict=True)))
        make_transient_to_detached(user)
        session.add(user)
        state: dict[str, Any] = {"key": FSM_KEY, "state": "Report:when", "data": DRAFT}
        state["updated_at"] = day(bench.now)
        sqlite.execute(self.write_state.sql, self.write_state.parameters(state))
        sqlite.execute(self.queue.sql, self.queue.parameters(bench.reply(user.id)))
        done = {"row_id": next(bench.pending_rows), "done_hour": bench.now}
        sqlite.execute(self.mark_done.sql, self.mark_done.parameters(done))
        bench.presses += 1


async def beside_sqlalchemy(bench: Bench, beside: Beside) -> None:
    async with (
        write_turns(bench.sessions, short=True),
        bench.sessions() as session,
        session.begin(),
    ):
        await beside.run(bench, session)


async def _beside(bench: Bench) -> Beside:
    async with bench.sessions() as session:
        return Beside(session.get_bind().dialect, session)


def _timed(way: Callable[[], Awaitable[None]], count: int) -> Callable[[], Awaitable[float]]:
    async def run() -> float:
        started = time.thread_time()
        for _ in range(count):
            await way()
        return (time.thread_time() - started) / count * 1e6

    return run


async def measure(rounds: int, count: int) -> dict[str, list[float]]:
    """µs of the event loop's CPU per transaction, each way, `rounds` times in turn."""
    with tempfile.TemporaryDirectory(prefix="lapor-aman-transaction-") as work:
        # Every press marks a row of its own handled: enough pending rows for all of them.
        bench = await _prepare(Path(work), pending=(rounds + 1) * count * 2 + 10)
        beside = await _beside(bench)
        ways = {
            "empty transaction": _timed(lambda: empty(bench), count),
            "a press, through SQLAlchemy": _timed(lambda: through_sqlalchemy(bench), count),
            "a press, statements on sqlite3": _timed(
                lambda: beside_sqlalchemy(bench, beside), count
            ),
        }
        for run in ways.values():  # warm-up: caches filled, pages read
            await run()
        results: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, run in ways.items():
                results[name].append(await run())
        await _check(bench)
        return results


async def _check(bench: Bench) -> None:
    """Both ways wrote the same: every press marked its row handled, and the rows queued or
    written on sqlite3 read back, through SQLAlchemy, as those written through it."""
    async with bench.sessions() as session:
        connection = await session.connection()
        found = await connection.exec_driver_sql("SELECT count(*) FROM inbox WHERE status = 'done'")
        handled = found.scalar_one()
        if handled != bench.presses:
            raise AssertionError(f"{bench.presses} presses, {handled} rows handled")
        times = await connection.exec_driver_sql(
            "SELECT DISTINCT not_before, created_at, typeof(payload) FROM outbox"
        )
        if len(times.all()) != 1:
            raise AssertionError("the outbox rows of the two ways differ in their times")
        queued = (await session.scalars(select(OutboxMessage.payload))).all()
        state = await session.scalar(select(FsmState.data).where(FsmState.key == FSM_KEY))
    if any(payload != REPLY for payload in queued) or state != DRAFT:
        raise AssertionError("a value written on sqlite3 does not read back as written")


def report(results: dict[str, list[float]]) -> str:
    lines = ["| transaction | µs of CPU (median) | range |", "|---|---|---|"]
    for name, values in results.items():
        lines.append(
            f"| {name} | {statistics.median(values):.0f} | {min(values):.0f}–{max(values):.0f} |"
        )
    medians = {name: statistics.median(values) for name, values in results.items()}
    empty_, sqlalchemy, beside = medians.values()
    lines.append("")
    lines.append(
        f"Statements through SQLAlchemy: {sqlalchemy - empty_:.0f} µs; on sqlite3: "
        f"{beside - empty_:.0f} µs; a press's transaction {beside / sqlalchemy:.2f} of itself."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transaction_cost", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each way (default 5)")
    parser.add_argument("--count", type=int, default=1000, help="transactions a round (1000)")
    args = parser.parse_args(argv)
    # The bot's own event loop (uvloop where installed).
    print(report(event_loop.run(measure(args.rounds, args.count))))


if __name__ == "__main__":
    main()
