"""The sender over real HTTP through the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sending import sender as sender_module
from bot.sending.budget import SenderLimits
from bot.sending.claiming import YIELD_LIMIT
from bot.sending.sender import PASS_SPACING, Sender
from playground.emulator import BotAPIEmulator
from services import outbox
from storage.db import is_sqlite, write_turns, writers_waiting
from storage.models import DeliveryAttempt, OutboxMessage, User
from tests.delivery.conftest import (
    RecordingHooks,
    SenderFactory,
    alert_payload,
    all_settled,
    delivered_calls,
    delivered_texts,
    queue,
    rows,
)
from tests.fixtures.statements import watching
from tests.fixtures.timeline import until

Sessions = async_sessionmaker[AsyncSession]
People = Callable[[int], int]


async def _attempts(sessions: Sessions, row_id: int) -> list[str]:
    async with sessions() as session:
        found = await session.scalars(
            select(DeliveryAttempt.outcome)
            .where(DeliveryAttempt.outbox_id == row_id)
            .order_by(DeliveryAttempt.id)
        )
        return list(found)


async def test_alert_overtakes_a_broadcast_in_progress(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    for number in range(25):
        await queue(
            session_factory, people(2000 + number), f"siaran {number}", lane=outbox.Lane.BROADCAST
        )
    sender = make_sender(broadcast_rate=10)
    await sender.start()
    await until(lambda: len(delivered_texts(emulator)) >= 10, what="first broadcasts")
    await queue(session_factory, people(3000), "ALERT", lane=outbox.Lane.URGENT, kind="alert")
    sender.wake()
    await until(lambda: all_settled(session_factory), what="everything sent")

    texts = delivered_texts(emulator)
    assert sorted(texts) == sorted(["ALERT", *(f"siaran {n}" for n in range(25))])
    # Broadcasts run at 10/s: the alert went out next, not after the 15 still waiting.
    assert len(texts) - texts.index("ALERT") - 1 >= 10


async def test_alert_first_when_queued_behind_a_broadcast_backlog(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    for number in range(15):
        await queue(
            session_factory, people(2000 + number), f"siaran {number}", lane=outbox.Lane.BROADCAST
        )
    await queue(session_factory, people(3000), "ALERT", lane=outbox.Lane.URGENT, kind="alert")
    sender = make_sender(broadcast_rate=10)
    await sender.run_once()
    texts = delivered_texts(emulator)
    assert texts[0] == "ALERT"
    # One pass: the alert, then as many broadcasts as their own rate allows (10 at once).
    assert len(texts) == 11


async def test_429_waits_per_chat_and_loses_nothing(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    emulator.rate_limits.per_chat_per_second = 3
    emulator.rate_limits.per_chat_burst = 3
    busy, other = people(4001), people(4002)
    ids = [await queue(session_factory, busy, f"pesan {n}") for n in range(10)]
    # Looser than the emulator on purpose, so Telegram has to say 429.
    sender = make_sender(limits=SenderLimits(per_chat_per_second=50, per_chat_burst=10))
    await sender.start()
    await queue(session_factory, other, "lain")
    sender.wake()
    await until(lambda: all_settled(session_factory), what="all sent")

    assert delivered_texts(emulator, busy) == [f"pesan {n}" for n in range(10)]
    assert delivered_texts(emulator, other) == ["lain"]
    assert sender.counters.rate_limited >= 1 and emulator.stats["429"] >= 1
    calls = [c for c in emulator.calls_of("sendMessage") if c.params["chat_id"] == busy]
    for index, call in enumerate(calls):
        if call.error_code == 429:
            following = next(c for c in calls[index + 1 :] if c.ok)
            assert following.at - call.at >= 0.9, "sent again before retry_after was over"
    other_at = delivered_calls(emulator, "sendMessage")
    other_time = next(c.at for c in other_at if c.params["chat_id"] == other)
    assert other_time < max(c.at for c in calls) - 0.5, "the other chat waited for the busy one"
    stored = await rows(session_factory)
    assert all(stored[i].attempts == 0 for i in ids), "a 429 used up an attempt"
    assert "retry_after" in {o for i in ids for o in await _attempts(session_factory, i)}


async def test_blocked_user_is_marked_unreachable(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    hooks: RecordingHooks,
    people: People,
) -> None:
    officer = people(5001)
    emulator.user(officer).block()
    async with session_factory() as session, session.begin():
        session.add(User(id=officer, role="officer"))
    row_id = await queue(session_factory, officer, "ALERT", lane=outbox.Lane.URGENT, kind="alert")
    sender = make_sender()
    await sender.run_once()

    row = (await rows(session_factory))[row_id]
    assert (row.status, row.last_error) == ("dead", "forbidden")
    async with session_factory() as session:
        user = await session.get(User, officer)
    assert user is not None and user.unreachable_at is not None
    assert hooks.unreachable_rows == [row_id] and hooks.dead_rows == []
    assert await _attempts(session_factory, row_id) == ["forbidden"]
    assert sender.counters.forbidden == 1


async def test_server_errors_are_retried_and_delivered_once(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    hooks: RecordingHooks,
    people: People,
) -> None:
    emulator.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    row_id = await queue(
        session_factory, people(6001), "ALERT", lane=outbox.Lane.URGENT, kind="alert"
    )
    sender = make_sender()
    await sender.start()
    await until(lambda: all_settled(session_factory), what="sent")

    assert delivered_texts(emulator) == ["ALERT"]
    assert await _attempts(session_factory, row_id) == ["server_error", "server_error", "sent"]
    assert [row for row, _ in hooks.delivered_rows] == [row_id]
    assert sender.counters.server_errors == 2 and sender.counters.sent == 1


async def test_outage_loses_nothing_and_alerts_go_first(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    emulator.set_outage("down")
    lanes = {}
    for number in range(20):
        lane = 0 if number % 5 in (1, 3) else 2
        lanes[f"m{number}"] = lane
        await queue(session_factory, people(7000 + number), f"m{number}", lane=lane)
    sender = make_sender()
    await sender.start()
    # Several tries failed (the first, then probes): waited for, not slept on, so a busy
    # machine only makes it slower.
    await until(lambda: sender.counters.network_errors >= 2, what="two failed tries")
    assert delivered_texts(emulator) == []
    emulator.set_outage(None)
    await until(lambda: all_settled(session_factory), what="everything sent")

    texts = delivered_texts(emulator)
    assert Counter(texts) == Counter(lanes.keys())
    urgent = sum(1 for lane in lanes.values() if lane == outbox.Lane.URGENT)
    assert {lanes[text] for text in texts[:urgent]} == {0}
    assert all(row.status == "sent" for row in (await rows(session_factory)).values())


async def test_an_outage_that_loses_answers_sends_each_alert_once_more_at_most(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    """Telegram executes every call and the answer is lost (502 behind a proxy): the sender
    cannot tell whether an alert went out. Probing with the alert itself put it on the
    officer's screen at every try of the outage; getMe probes, and the alert goes again only
    once Telegram answers."""
    officer = people(7500)
    emulator.set_outage("lost")
    alert = await queue(session_factory, officer, "URGENT ALERT", lane=outbox.Lane.URGENT,
                        kind="alert")  # fmt: skip
    sender = make_sender()
    await sender.start()
    await until(lambda: emulator.calls_of("sendMessage"), what="a first try")
    # Several probes of the test's fast retry policy (50-200 ms), each executed and unanswered.
    await until(lambda: len(emulator.calls_of("getMe")) >= 3, what="three probes")
    emulator.set_outage(None)
    await until(lambda: all_settled(session_factory), what="the alert recorded")

    copies = [m for m in emulator.user(officer).chat.messages if "URGENT ALERT" in m.text]
    assert 1 <= len(copies) <= 2, f"{len(copies)} copies on the officer's screen"
    assert (await rows(session_factory))[alert].status == "sent"


async def test_restart_delivers_the_rest_once(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    ids = [await queue(session_factory, people(8000 + n), f"m{n}") for n in range(30)]
    first = make_sender(limits=SenderLimits(global_per_second=10))
    await first.start()
    await until(lambda: len(delivered_texts(emulator)) >= 12, what="a first part")
    await first.stop()
    stored = await rows(session_factory)
    assert not any(row.claimed_by == first.worker_id for row in stored.values())
    assert any(row.status == "pending" for row in stored.values())

    # One row held by a sender that died (lease over), one by a live one (lease running).
    pending = [i for i in ids if stored[i].status == "pending"]
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        for row_id, lease_until in (
            (pending[0], now - timedelta(seconds=1)),
            (pending[1], now + timedelta(minutes=5)),
        ):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(claimed_by="gone", claimed_until=lease_until)
            )
    second = make_sender()
    await second.start()
    await until(lambda: len(delivered_texts(emulator)) >= 29, what="the rest by the second sender")
    await second.stop()

    texts = delivered_texts(emulator)
    assert len(texts) == len(set(texts)) == 29
    stored = await rows(session_factory)
    assert stored[pending[0]].status == "sent"
    assert stored[pending[1]].status == "pending", "a live claim was taken over"


async def test_alerts_waiting_for_one_officer_are_combined(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    hooks: RecordingHooks,
    people: People,
) -> None:
    emulator.rate_limits.per_chat_burst = 1
    officer = people(9001)
    ids = [
        await queue(
            session_factory,
            officer,
            f"a{n}",
            lane=outbox.Lane.URGENT,
            kind="alert",
            payload=alert_payload(n),
        )
        for n in range(5)
    ]
    sender = make_sender()
    await sender.start()
    await until(lambda: all_settled(session_factory), what="alerts sent")

    messages = emulator.user(officer).chat.bot_messages()
    assert 1 <= len(messages) < 5
    buttons = Counter(b.callback_data for m in messages for row in m.buttons for b in row)
    assert buttons == Counter(f"take:{n}" for n in range(5))
    stored = await rows(session_factory)
    assert all(stored[i].status == "sent" for i in ids)
    assert sorted(row for row, _ in hooks.delivered_rows) == ids
    by_message = Counter(message_id for _, message_id in hooks.delivered_rows)
    assert set(by_message) == {m.message_id for m in messages}
    # Each hook already saw every row of its combined message as sent.
    assert hooks.sharing_message == [by_message[m] for _, m in hooks.delivered_rows]
    assert sender.counters.combined >= 2


async def test_combining_respects_telegrams_length_limit(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    emulator.rate_limits.per_chat_burst = 1
    emulator.rate_limits.per_chat_per_second = 5
    officer = people(9002)
    for n in range(3):
        payload = outbox.message(f"K{n} " + "x" * 1900)
        await queue(
            session_factory,
            officer,
            f"a{n}",
            lane=outbox.Lane.URGENT,
            kind="alert",
            payload=payload,
        )
    sender = make_sender(limits=SenderLimits(per_chat_per_second=5, per_chat_burst=1))
    await sender.start()
    await until(lambda: all_settled(session_factory), what="alerts sent")

    messages = emulator.user(officer).chat.bot_messages()
    assert [m.text.count("━━━━━━━━━━") + 1 for m in messages] == [2, 1]
    assert all(len(m.text) <= 4096 for m in messages)


async def test_permanent_bad_request_is_dead_lettered(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    hooks: RecordingHooks,
    people: People,
) -> None:
    chat = people(9101)
    broken = await queue(
        session_factory, chat, "<b>tidak ditutup", lane=outbox.Lane.URGENT, kind="alert"
    )
    unknown = await queue(
        session_factory, chat, "x", payload=outbox.call("sendTelepathy", text="x")
    )
    # Params are not validated before the call: Telegram's 400 dead-letters them.
    invalid = await queue(
        session_factory, chat, "y", payload=outbox.call("sendLocation", latitude="rahasia")
    )
    sender = make_sender(limits=SenderLimits(per_chat_burst=5))
    await sender.run_once()

    stored = await rows(session_factory)
    assert stored[broken].status == stored[unknown].status == stored[invalid].status == "dead"
    reasons = dict(hooks.dead_rows)
    assert reasons[broken].startswith("bad_request: Bad Request: can't parse entities")
    assert "tidak" not in reasons[broken], "the reason quotes what was written"
    assert reasons[unknown].startswith("invalid_payload: unknown method")
    assert reasons[invalid].startswith("bad_request: Bad Request")
    assert "rahasia" not in reasons[invalid]
    assert sender.counters.dead == 3


async def test_other_methods_from_payloads(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    officer, resident = people(9201), people(9202)
    original = await emulator.user(resident).send_photo("bukti")
    sender = make_sender(limits=SenderLimits(per_chat_burst=10, per_chat_per_second=20))
    copy = outbox.call(
        "copyMessage", from_chat_id=resident, message_id=original["message_id"], caption="Bukti 1"
    )
    await queue(
        session_factory, officer, "copy", lane=outbox.Lane.URGENT, kind="evidence", payload=copy
    )
    pin = outbox.call("sendLocation", latitude=-2.2, longitude=113.9)
    await queue(
        session_factory, officer, "pin", lane=outbox.Lane.URGENT, kind="alert_detail", payload=pin
    )
    first = await queue(session_factory, officer, "teks", lane=outbox.Lane.URGENT, kind="alert")
    await sender.run_once()
    sent_id = (await rows(session_factory))[first].result_message_id
    edit = outbox.call("editMessageText", message_id=sent_id, text="<i>diambil</i>")
    await queue(session_factory, officer, "edit", payload=edit)
    await sender.run_once()

    messages = emulator.user(officer).chat.bot_messages()
    assert [m.kind for m in messages] == ["photo", "location", "text"]
    assert messages[0].copied_from is not None and messages[0].forward_origin is None
    assert messages[2].text == "diambil" and messages[2].edited
    assert all(row.status == "sent" for row in (await rows(session_factory)).values())


async def test_wake_delivers_at_once(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    """Without the wake-up the alert would wait for the next poll, 30 s away: seen within
    10 s it was the wake-up (a busy machine only makes it slower, not wrong)."""
    sender = make_sender(idle_poll=30.0)
    await sender.start()
    await until(lambda: sender.counters.sent == 0, what="the sender idle")
    await queue(session_factory, people(9301), "ALERT", lane=outbox.Lane.URGENT, kind="alert")
    sender.wake()
    await until(lambda: delivered_texts(emulator) == ["ALERT"], within=10.0)


async def test_replies_in_quick_succession_share_passes(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    """Each commit wakes the sender, but a pass follows the one before only PASS_SPACING
    later: replies queued meanwhile share one claim (and one record) instead of a pass each.
    The first goes in the first pass, which does not wait for the spacing."""
    # No idle passes (the tests' 50 ms poll): only wakes make passes here.
    sender = make_sender(limits=SenderLimits(global_per_second=100), idle_poll=30.0)
    claims: list[int] = []  # for each claim, how many replies were queued when it ran
    queued = 0

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE outbox SET claimed_until"):
            claims.append(queued)

    engine = session_factory.kw["bind"]
    with watching(engine, count):
        await sender.start()
        # Its first pass at start-up, then a spacing's quiet: the replies find it idle.
        await until(lambda: claims, what="the pass at start-up")
        idle_from = time.monotonic()
        await until(lambda: time.monotonic() > idle_from + PASS_SPACING)
        claims.clear()
        started = time.monotonic()
        for number in range(12):
            await queue(session_factory, people(9400 + number), f"balasan {number}")
            queued += 1
            sender.wake(outbox.Lane.REPLY)
        queued_in = time.monotonic() - started
        await until(lambda: len(delivered_texts(emulator)) == 12, what="all replies")
    # One pass per spacing while they were queued, and one for the last of them.
    assert len(claims) <= queued_in / PASS_SPACING + 2, (len(claims), queued_in)
    # The first pass did not wait for the spacing: it ran while replies were still being
    # queued and sent the first of them (its chats' sends go at once, in any order).
    first_pass = claims[0]
    assert 1 <= first_pass < 12, claims
    delivered = delivered_texts(emulator)
    assert "balasan 0" in delivered[:first_pass], (claims, delivered)


async def test_an_alert_does_not_wait_for_the_spacing_of_passes(
    emulator: BotAPIEmulator,
    session_factory: Sessions,
    make_sender: SenderFactory,
    people: People,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply waits for the spacing (here 30 s), but an alert queued meanwhile cuts it short
    and both go in the next pass."""
    monkeypatch.setattr(sender_module, "PASS_SPACING", 30.0)
    sender = make_sender()
    await sender.start()
    await queue(session_factory, people(9501), "pesan pertama", lane=outbox.Lane.RELAY)
    sender.wake(outbox.Lane.RELAY)
    await until(lambda: delivered_texts(emulator) == ["pesan pertama"])
    await queue(session_factory, people(9502), "balasan kedua", lane=outbox.Lane.REPLY)
    sender.wake(outbox.Lane.REPLY)
    await queue(session_factory, people(9503), "ALERT", lane=outbox.Lane.ALERT, kind="alert")
    sender.wake(outbox.Lane.ALERT)
    await until(lambda: len(delivered_texts(emulator)) == 3, within=10.0)
    assert delivered_texts(emulator)[1:] == ["ALERT", "balasan kedua"]


async def test_two_senders_share_a_postgresql_outbox(
    emulator: BotAPIEmulator,
    database_url: str,
    session_factory: Sessions,
    make_sender: SenderFactory,
    people: People,
) -> None:
    if is_sqlite(database_url):
        pytest.skip("SQLite has one writer: one sender per database")
    emulator.rate_limits.enabled = False
    for number in range(100):
        await queue(session_factory, people(10_000 + number), f"m{number}")
    limits = SenderLimits(global_per_second=400)
    senders = [make_sender(limits=limits, batch_size=10) for _ in range(2)]
    await asyncio.gather(*(s.start() for s in senders))
    await until(lambda: all_settled(session_factory), what="all sent")

    texts = delivered_texts(emulator)
    assert len(texts) == len(set(texts)) == 100
    assert sum(s.counters.sent for s in senders) == 100


async def test_while_updates_queue_for_sqlite_only_alerts_go_and_the_rest_waits(
    emulator: BotAPIEmulator, session_factory: Sessions, turns: SenderTurns, people: People
) -> None:
    """A burst of Kirims queues for SQLite's one write lock: the sender takes turns there for
    alerts only (their priority over updates is tested below); a resident's confirmation
    waits until the updates are through."""
    resident = people(9302)
    async with TurnHolder(session_factory) as running, TurnHolder(session_factory) as queued:
        await running.has_turn()  # an update at work ...
        await until(lambda: writers_waiting(session_factory) == 1, what="one queued")
        await queue(session_factory, resident, "✅ Laporan diterima", lane=outbox.Lane.RELAY)
        turns.sender.wake()
        # ... and one waiting for the lock; the sender waits for a turn too, ahead of it.
        await until(lambda: turns.waiting == 1, what="the sender waiting")
        await running.finish()
        await queued.has_turn()  # after the sender's turn: the update holds the lock now
        # The sender is through with its turn: it claimed nothing and waits to look again, or
        # it claimed the confirmation, sent it, and waits to record it. Either way it waits
        # for the update, and sent what it would send while the update holds the lock.
        await until(lambda: turns.waiting == 1, what="the sender waiting again")
        assert not delivered_texts(emulator, resident), "the confirmation went between updates"
    await until(lambda: delivered_texts(emulator, resident), what="the confirmation")


async def test_an_alert_committed_while_the_sender_waits_goes_before_queued_updates(
    emulator: BotAPIEmulator, session_factory: Sessions, turns: SenderTurns, people: People
) -> None:
    """The sender's turns go before the updates queued for SQLite's lock, and a claim reads
    the clock once it has the turn: the alert an update committed just before is due."""
    officer = people(9304)
    async with TurnHolder(session_factory) as running:
        await running.has_turn()  # the update of the Kirim at work
        turns.sender.wake()
        await until(lambda: turns.waiting == 1, what="the sender waiting")
        async with TurnHolder(session_factory) as queued:
            await until(lambda: writers_waiting(session_factory) == 1, what="one queued")
            alert = "🚨 Laporan baru"
            await queue(session_factory, officer, alert, lane=outbox.Lane.ALERT, kind="alert")
            await running.finish()  # ... commits its alert and ends
            await queued.has_turn()  # after the sender's turn
            # The sender waits for the queued update: to record the alert it sent, or to
            # claim again, its claim having left the alert behind.
            await until(lambda: turns.waiting == 1, what="the sender waiting")
            assert delivered_texts(emulator, officer), "the alert waited for the next update"
    await until(lambda: all_settled(session_factory), what="the alert recorded")


async def test_the_senders_turn_goes_before_updates_that_asked_first(
    emulator: BotAPIEmulator, session_factory: Sessions, turns: SenderTurns, people: People
) -> None:
    """An alert does not wait behind a burst of Kirims queued for SQLite's lock: the sender
    asks for its turn after an update did and still has it first, and claims the alert."""
    officer = people(9305)
    async with TurnHolder(session_factory) as running:
        await running.has_turn()  # an update at work ...
        async with TurnHolder(session_factory) as queued:
            await until(lambda: writers_waiting(session_factory) == 1, what="one queued")
            alert = "🚨 Laporan baru"
            await queue(session_factory, officer, alert, lane=outbox.Lane.ALERT, kind="alert")
            turns.sender.wake()  # ... the sender asks after it
            await until(lambda: turns.waiting == 1, what="the sender waiting")
            await running.finish()
            # The update that asked first holds its turn until the end of this block.
            await until(lambda: delivered_texts(emulator, officer), what="the alert")
            assert queued.taken  # after the sender's claim
    await until(lambda: all_settled(session_factory), what="the alert recorded")
    assert delivered_texts(emulator, officer) == [alert]


async def test_a_yielding_sender_still_sends_everything_within_the_limit(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    if not is_sqlite(str(session_factory.kw["bind"].url)):
        pytest.skip("PostgreSQL has no write turns")
    resident = people(9303)
    await queue(session_factory, resident, "✅ Laporan diterima", lane=outbox.Lane.RELAY)
    sender = make_sender()
    # Updates without end: one always waits while another works.
    busy = asyncio.ensure_future(_endless_updates(session_factory))
    try:
        await until(lambda: writers_waiting(session_factory) > 0, what="updates queued")
        await sender.start()
        started = time.monotonic()
        await until(
            lambda: delivered_texts(emulator, resident), within=YIELD_LIMIT + 3, what="sent"
        )
        assert time.monotonic() - started <= YIELD_LIMIT + 2.0
    finally:
        busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await busy


@pytest.fixture
async def turns(
    session_factory: Sessions, make_sender: SenderFactory, monkeypatch: pytest.MonkeyPatch
) -> SenderTurns:
    """A started sender whose requests for SQLite's write turn the test sees (SQLite only:
    PostgreSQL has no write turns, updates and the sender run side by side)."""
    if not is_sqlite(str(session_factory.kw["bind"].url)):
        pytest.skip("PostgreSQL has no write turns: updates and the sender run side by side")
    watched = SenderTurns(monkeypatch)
    watched.sender = make_sender()
    await watched.sender.start()
    return watched


class SenderTurns:
    """The sender's requests for a write turn (storage.db.write_turns, as bot/sending/sender.py
    asks for them): `waiting` is how many it asked for and has not got yet. SQLite's queue
    counts only the updates (writers_waiting); this is how a test sees the sender queue."""

    sender: Sender

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.waiting = 0
        real = sender_module.write_turns

        @contextlib.asynccontextmanager
        async def counted(sessions: Sessions, **options: bool) -> AsyncIterator[None]:
            async with contextlib.AsyncExitStack() as stack:
                self.waiting += 1
                try:
                    await stack.enter_async_context(real(sessions, **options))
                finally:
                    self.waiting -= 1
                yield

        monkeypatch.setattr(sender_module, "write_turns", counted)


class TurnHolder:
    """An update at SQLite's lock: asks for its turn on entering, says when it has it, and
    keeps it until `finish()` (or the end of the `async with`, should the test fail)."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._taken = asyncio.Event()
        self._done = asyncio.Event()
        self._task: asyncio.Future[None] | None = None

    async def __aenter__(self) -> TurnHolder:
        self._task = asyncio.ensure_future(self._work())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.finish()

    async def _work(self) -> None:
        async with write_turns(self._sessions):
            self._taken.set()
            await self._done.wait()

    @property
    def taken(self) -> bool:
        return self._taken.is_set()

    async def has_turn(self) -> None:
        await asyncio.wait_for(self._taken.wait(), 10)

    async def finish(self) -> None:
        self._done.set()
        if self._task is not None:
            await self._task


async def _take_turn_and_hold(sessions: Sessions, seconds: float) -> None:
    """An update's work: its turn for `seconds`."""
    async with write_turns(sessions):
        await asyncio.sleep(seconds)


async def _endless_updates(sessions: Sessions) -> None:
    async def one() -> None:
        await _take_turn_and_hold(sessions, 0.02)

    pending: set[asyncio.Future[None]] = set()
    while True:
        pending = {task for task in pending if not task.done()}
        while len(pending) < 3:
            pending.add(asyncio.ensure_future(one()))
        await asyncio.sleep(0.01)
