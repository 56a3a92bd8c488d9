"""The echo bot of figure 1 (bench/echo_bot.py), made durable the way our bot must be, and
nothing more: the floor under our bot's CPU per update.

Per update, what the bot's durability rules ask for and no more:

- receiving: each getUpdates batch is stored in `inbox` and committed (one transaction per
  batch) before the next getUpdates confirms it with its offset (as bot/polling.py);
- handling, through aiogram's dispatcher (feed_update), in one transaction: read the person's
  state row, write it back, put the reply in `outbox`, mark the inbox row handled;
- sending: a sender woken after each commit claims what is pending (one transaction), sends
  it, and records it sent (one transaction per pass).

No encryption, no pseudonyms, no translations, no conversation: only the stores, the
transactions and aiogram. What our bot does to spend less per update is done here too, or this
would not be a floor: its Bot API session (bot/api_session.py: aiogram's response models are not
rebuilt after every garbage collection), its frozen start-up heap (bot/heap.py) and its sender
waiting 20 ms during a burst and passes 50 ms apart at the soonest so that one claim serves
many replies (bot/sending/sender.py), payloads sent and updates polled as JSON
(BotApiSession.call_json), and its event loop (bot/event_loop.py: uvloop's where installed).
The bare echo bot of figure 1 has none of these. The engine is our bot's (storage/db.py:
WAL, synchronous=NORMAL, busy_timeout, one thread trip per statement); writers take turns on
an in-process lock, as our bot's do (storage/db.py, WriteTurns), instead of sleeping in
SQLite's busy handler, and run their statements on the event loop's thread as our bot's short
turns do (storage/sqlite_driver.py), the commit in aiosqlite's.
Statements are SQLAlchemy Core text(): no ORM, no type processing. On stopping, the log says
how many updates each receiving transaction and each sending pass carried.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT DATABASE_URL=sqlite+aiosqlite:///x \\
        python -m bench.durable_echo_bot
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods import AnswerCallbackQuery, GetUpdates, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy import Column, Integer, MetaData, Table, Text, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.echo_bot import AGAIN
from bot import event_loop
from bot.api_session import BotApiSession, api_session
from bot.heap import freeze_start_up_heap
from bot.sending.sender import GATHER, PASS_SPACING
from conversations.filters import TEXT
from storage.db import create_engine
from storage.sqlite_driver import statements_here

log = logging.getLogger("bench.durable_echo_bot")

POLL_TIMEOUT = 10  # aiogram's start_polling default, as bot/polling.py
PENDING, CLAIMED, SENT, FAILED = 0, 1, 2, 3

METADATA = MetaData()
Table(
    "inbox",
    METADATA,
    Column("update_id", Integer, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("done", Integer, nullable=False, default=0),
)
Table(
    "state",
    METADATA,
    Column("chat_id", Integer, primary_key=True),
    Column("state", Text, nullable=False),
    Column("data", Text, nullable=False),
)
Table(
    "outbox",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("method", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("status", Integer, nullable=False),
)
# The sender's claim reads only pending rows; sent ones leave this (partial) index.
PENDING_INDEX = text(
    f"CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE status = {PENDING}"
)

STORE = text(
    "INSERT INTO inbox (update_id, payload, done) VALUES (:update_id, :payload, 0)"
    " ON CONFLICT (update_id) DO NOTHING"
)
UNHANDLED = text("SELECT payload FROM inbox WHERE done = 0 ORDER BY update_id")
READ_STATE = text("SELECT state, data FROM state WHERE chat_id = :chat_id")
WRITE_STATE = text(
    "INSERT INTO state (chat_id, state, data) VALUES (:chat_id, :state, :data)"
    " ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, data = excluded.data"
)
QUEUE_REPLY = text(
    f"INSERT INTO outbox (method, params, status) VALUES (:method, :params, {PENDING})"
)
MARK_DONE = text("UPDATE inbox SET done = 1 WHERE update_id = :update_id")
CLAIM = text(
    f"UPDATE outbox SET status = {CLAIMED} WHERE status = {PENDING} RETURNING id, method, params"
)
RECORD = text("UPDATE outbox SET status = :status WHERE id = :id")
RELEASE = text(f"UPDATE outbox SET status = {PENDING} WHERE status = {CLAIMED}")

METHODS: dict[str, type[TelegramMethod[Any]]] = {
    "sendMessage": SendMessage,
    "answerCallbackQuery": AnswerCallbackQuery,
}
AGAIN_JSON = AGAIN.model_dump(mode="json", exclude_none=True)


class Store:
    """The three transactions, and the wake-up the sender waits on."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite has one write lock: writers queue here, in order, instead of polling it.
        self.writes = asyncio.Lock()
        self.wake = asyncio.Event()
        # For the log at the end: how far each transaction was shared.
        self.counts = {"updates": 0, "batches": 0, "passes": 0, "sent": 0}

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """The write lock, and the turn's statements on the event loop's thread, as our bot's
        short turns run them (storage/db.py, write_turns(short=True))."""
        async with self.writes:
            with statements_here():
                yield

    async def store(self, updates: list[dict[str, Any]]) -> None:
        rows = [{"update_id": u["update_id"], "payload": json.dumps(u)} for u in updates]
        async with self.turn(), self.engine.begin() as connection:
            await connection.execute(STORE, rows)
        self.counts["batches"] += 1
        self.counts["updates"] += len(rows)

    async def handle(self, update_id: int, chat_id: int, method: str, params: str) -> None:
        async with self.turn(), self.engine.begin() as connection:
            row = (await connection.execute(READ_STATE, {"chat_id": chat_id})).first()
            seen = json.loads(row.data)["seen"] if row is not None else 0
            state = {"chat_id": chat_id, "state": "echo", "data": json.dumps({"seen": seen + 1})}
            await connection.execute(WRITE_STATE, state)
            await connection.execute(QUEUE_REPLY, {"method": method, "params": params})
            await connection.execute(MARK_DONE, {"update_id": update_id})
        self.wake.set()

    async def claim(self) -> list[tuple[int, str, str]]:
        async with self.turn(), self.engine.begin() as connection:
            rows = (await connection.execute(CLAIM)).all()
        return [(row.id, row.method, row.params) for row in rows]

    async def record(self, outcomes: list[dict[str, int]]) -> None:
        async with self.turn(), self.engine.begin() as connection:
            await connection.execute(RECORD, outcomes)
        self.counts["passes"] += 1
        self.counts["sent"] += len(outcomes)


# --- handlers (aiogram's dispatcher calls them; `store` comes from feed_update) ------------


async def echo(message: Message, event_update: Update, store: Store) -> None:
    params = {"chat_id": message.chat.id, "text": message.html_text, "reply_markup": AGAIN_JSON}
    await store.handle(event_update.update_id, message.chat.id, "sendMessage", json.dumps(params))


async def answer(callback: CallbackQuery, event_update: Update, store: Store) -> None:
    params = json.dumps({"callback_query_id": callback.id})
    await store.handle(event_update.update_id, callback.from_user.id, "answerCallbackQuery", params)


# --- the three loops ----------------------------------------------------------------------


async def poll(bot: Bot, store: Store, backlog: asyncio.Queue[Update]) -> None:
    """Long polling: a batch is committed to the inbox before the next offset confirms it.
    Read as JSON and each update parsed once, as bot/polling.py does."""
    offset: int | None = None
    patience = bot.session.timeout + POLL_TIMEOUT
    session = api_session(bot)
    while True:
        params: dict[str, Any] = {"timeout": POLL_TIMEOUT}
        if offset is not None:
            params["offset"] = offset
        try:
            raw = await session.call_json(bot, GetUpdates, params, patience=patience)
            if raw:
                await store.store(raw)
        except Exception:
            log.exception("getUpdates or storing failed; trying again in 1 s")
            await asyncio.sleep(1.0)
            continue
        for update in raw:
            backlog.put_nowait(Update.model_validate(update, context={"bot": bot}))
        if raw:
            offset = raw[-1]["update_id"] + 1


async def handle(
    bot: Bot, dispatcher: Dispatcher, store: Store, backlog: asyncio.Queue[Update]
) -> None:
    """One update after the other: SQLite writes one at a time anyway."""
    while True:
        update = await backlog.get()
        try:
            await dispatcher.feed_update(bot, update, store=store)
        except Exception:
            log.exception("update %s failed (left unhandled in the inbox)", update.update_id)
        finally:
            backlog.task_done()


async def send(bot: Bot, store: Store, backlog: asyncio.Queue[Update], stop: asyncio.Event) -> None:
    """A pass per wake-up: a commit after the claim sets the event again. While updates wait
    to be handled, a pass first waits for their replies too, as our sender does
    (bot/sending/sender.py, GATHER): one claim and one record for many rows, not two
    transactions for every reply. Once stopping, it returns after a pass that nothing woke
    it from meanwhile."""
    last_pass = 0.0
    while True:
        await store.wake.wait()
        if backlog.qsize():
            await asyncio.sleep(GATHER)
        await asyncio.sleep(max(last_pass + PASS_SPACING - time.monotonic(), 0.0))
        last_pass = time.monotonic()
        store.wake.clear()
        try:
            await send_pass(bot, store)
        except Exception:
            log.exception("a sending pass failed (its claimed rows wait for the next start)")
        if stop.is_set() and not store.wake.is_set():
            return


async def send_pass(bot: Bot, store: Store) -> None:
    claimed = await store.claim()
    if not claimed:
        return
    session = api_session(bot)
    results = await asyncio.gather(
        *(
            session.call_json(bot, METHODS[method], json.loads(params), patience=30.0)
            for _, method, params in claimed
        ),
        return_exceptions=True,
    )
    outcomes = []
    for (row_id, method, _), result in zip(claimed, results, strict=True):
        failed = isinstance(result, BaseException)
        if failed:
            log.warning("outbox %s (%s) failed: %r", row_id, method, result)
        outcomes.append({"id": row_id, "status": FAILED if failed else SENT})
    await store.record(outcomes)


async def prepare(engine: AsyncEngine) -> list[Update]:
    """The tables, and what a previous run stored but did not finish (claims given back)."""
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
        await connection.execute(PENDING_INDEX)
        await connection.execute(RELEASE)
        payloads = (await connection.execute(UNHANDLED)).scalars().all()
    return [Update.model_validate_json(payload) for payload in payloads]


async def main() -> None:
    engine = create_engine(os.environ["DATABASE_URL"])
    session = BotApiSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(
        os.environ["BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    dispatcher = Dispatcher()
    # Checked on the loop as the bot checks its rules, not in a thread (conversations/filters.py).
    dispatcher.message.register(echo, TEXT)
    dispatcher.callback_query.register(answer)
    store = Store(engine)
    backlog: asyncio.Queue[Update] = asyncio.Queue()
    for update in await prepare(engine):
        backlog.put_nowait(update)
    store.wake.set()  # replies a previous run left pending
    freeze_start_up_heap()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    poller = asyncio.create_task(poll(bot, store, backlog))
    handler = asyncio.create_task(handle(bot, dispatcher, store, backlog))
    sender = asyncio.create_task(send(bot, store, backlog, stop))
    try:
        await stop.wait()
    finally:
        # Stop receiving (a batch not yet committed is not confirmed either), handle what was
        # received, then let the sender finish with a last pass.
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await backlog.join()
        handler.cancel()
        await asyncio.gather(handler, return_exceptions=True)
        stop.set()
        store.wake.set()
        await sender
        log.info("stopped: %s", store.counts)
        await engine.dispose()
        await bot.session.close()


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    event_loop.run(main())
