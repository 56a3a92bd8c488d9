"""A sender between passes: it asks the database what is due next only when its last claim
cannot tell it, and never sleeps through a row that is due.

The idle poll is a minute here (the other sender tests poll every 50 ms), so a row the sender
forgot would wait that long and the test would time out.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sending import Sender
from bot.sending.budget import SenderLimits
from playground.emulator import BotAPIEmulator
from services import outbox
from services.clock import ManualClock
from tests.delivery.conftest import (
    People,
    SenderFactory,
    Sessions,
    alert_payload,
    all_settled,
    delivered_texts,
    queue,
)
from tests.fixtures.statements import watching
from tests.fixtures.timeline import until

IDLE_POLL = 60.0
NEXT_DUE = "SELECT outbox.lane, min("
# A standing clock for the budget, ahead of the rows' (real) times: what a test queues is due.
AHEAD = timedelta(seconds=60)


async def idle_sender(sessions: Sessions, make_sender: SenderFactory, **options: Any) -> Sender:
    """A started sender that has asked what is due and heard "nothing": from now on it asks
    only when its passes cannot tell."""
    asked: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(NEXT_DUE):
            asked.append(statement)

    sender = make_sender(idle_poll=IDLE_POLL, **options)
    with watching(sessions.kw["bind"], listener):
        await sender.start()
        await until(lambda: asked, "the first look at what is due")
    return sender


async def test_after_taking_everything_the_sender_does_not_ask_what_is_due_next(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    asked: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(NEXT_DUE):
            asked.append(statement)

    sender = make_sender(idle_poll=IDLE_POLL)
    with watching(session_factory.kw["bind"], listener):
        await sender.start()
        # Nothing pending yet: it asks once, and the database says "nothing".
        await until(lambda: asked, "the first look at what is due")
        for n in range(5):
            chat = people(5100 + n)
            await queue(session_factory, chat, f"balasan {n}", lane=outbox.Lane.REPLY, kind="reply")
            sender.wake()
            await until(
                lambda chat=chat, n=n: delivered_texts(emulator, chat) == [f"balasan {n}"],
                f"reply {n}",
            )
        await sender.stop()

    # Each pass claimed all there was: nothing else could be due.
    assert len(asked) == 1


async def test_rows_held_for_their_chat_are_sent_at_its_turn(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    # The sender's own limit: three at once in a chat, then one a second.
    chat = people(5201)
    sender = await idle_sender(session_factory, make_sender)
    for n in range(5):
        await queue(session_factory, chat, f"pesan {n}")
    sender.wake()
    await until(lambda: all_settled(session_factory), "all five", within=8.0)
    assert delivered_texts(emulator, chat) == [f"pesan {n}" for n in range(5)]


async def test_a_row_telegram_refused_for_now_is_sent_when_it_may(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    # Looser than the emulator on purpose: Telegram says 429, and the row is rescheduled.
    emulator.rate_limits.per_chat_per_second = 1
    emulator.rate_limits.per_chat_burst = 1
    chat = people(5301)
    limits = SenderLimits(per_chat_per_second=50, per_chat_burst=10)
    sender = await idle_sender(session_factory, make_sender, limits=limits)
    for n in range(3):
        await queue(session_factory, chat, f"coba {n}")
    sender.wake()
    await until(lambda: all_settled(session_factory), "all three", within=8.0)
    assert delivered_texts(emulator, chat) == [f"coba {n}" for n in range(3)]
    assert sender.counters.rate_limited >= 1 and emulator.stats["429"] >= 1


async def test_a_row_that_keeps_failing_is_sent_when_its_own_backoff_ends(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    # getMe answers, this one message does not: after a few tries it waits on its own
    # (RetryPolicy.own_backoff_after), a delay only the database knows.
    chat = people(5401)
    emulator.fail_next("sendMessage", 502, "Bad Gateway", times=4, chat_id=chat)
    sender = await idle_sender(session_factory, make_sender)
    await queue(session_factory, chat, "akhirnya", lane=outbox.Lane.REPLY, kind="reply")
    sender.wake()
    await until(lambda: all_settled(session_factory), "sent at last", within=8.0)
    assert delivered_texts(emulator, chat) == ["akhirnya"]
    assert sender.counters.server_errors == 4


async def test_what_a_full_claim_left_behind_goes_in_the_next_pass(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    # Two rows a pass: a claim that got as many as it asked for may have left some due.
    chats = [people(5501 + n) for n in range(5)]
    sender = await idle_sender(session_factory, make_sender, batch_size=2)
    for n, chat in enumerate(chats):
        await queue(session_factory, chat, f"kabar {n}")
    sender.wake()
    await until(lambda: all_settled(session_factory), "all five", within=8.0)
    assert [delivered_texts(emulator, chat) for chat in chats] == [[f"kabar {n}"] for n in range(5)]


async def test_alerts_whose_combined_message_was_refused_go_one_by_one_at_once(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    # Four alerts for an officer whose chat may take three now go as one message, which
    # Telegram refuses: given back, they go one by one. The chat still has room, so no turn
    # of the budget stands for them: only the database can tell the sender they are due.
    # The budget's clock stands still until the chat's room is used up (AHEAD).
    emulator.rate_limits.per_chat_burst = 10
    officer = people(5601)
    emulator.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=officer)
    clock = ManualClock(datetime.now(UTC) + AHEAD)
    sender = await idle_sender(session_factory, make_sender, clock=clock)
    for n in range(4):
        await queue(
            session_factory, officer, f"a{n}", lane=outbox.Lane.URGENT, kind="alert",
            payload=alert_payload(n),
        )  # fmt: skip
    sender.wake()
    await until(
        lambda: len(delivered_texts(emulator, officer)) == 2,
        "the two alerts the chat had room for, one by one",
        within=8.0,
    )
    clock.advance(timedelta(seconds=5))
    await until(lambda: all_settled(session_factory), "all four", within=8.0)
    titles = sorted(text.split("\n")[0] for text in delivered_texts(emulator, officer))
    assert titles == [f"<b>Laporan K{n}</b>" for n in range(4)]


async def test_a_chat_passed_over_by_a_long_pass_gets_its_turn_when_the_pass_ends(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    # A chat waiting for its turn is left out of a pass's claim; when that pass lasts past the
    # turn, the chat's rows are due and no turn of the budget stands for them any more.
    emulator.rate_limits.per_chat_burst = 10
    waiting, other = people(5701), people(5702)
    clock = ManualClock(datetime.now(UTC) + AHEAD)
    sender = await idle_sender(session_factory, make_sender, clock=clock)
    for n in range(4):
        await queue(session_factory, waiting, f"pesan {n}")
    sender.wake()
    await until(
        lambda: len(delivered_texts(emulator, waiting)) == 3,
        "three at once, then the chat waits for its turn",
    )
    hold = emulator.hold_answers("sendMessage", other)
    await queue(session_factory, other, "lama")
    sender.wake()
    await asyncio.wait_for(hold.reached.wait(), 8.0)
    clock.advance(timedelta(seconds=5))  # the waiting chat's turn comes during the send
    hold.release()
    await until(lambda: all_settled(session_factory), "the fourth", within=8.0)
    assert delivered_texts(emulator, waiting) == [f"pesan {n}" for n in range(4)]
    assert delivered_texts(emulator, other) == ["lama"]
