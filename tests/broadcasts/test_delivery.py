"""Delivery of broadcasts through the one sender, with the emulator's flood limits on:
progress and cancelling mid-way, 403s, 2,000 recipients with an urgent alert in the middle,
and a restart in the middle that sends nobody anything twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterable

import pytest
from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.app
from bot.app import alert_policy
from bot.config import Settings
from bot.sending import Sender
from bot.sending.budget import SenderLimits
from playground.emulator import BotAPIEmulator, SimulatedUser
from services import broadcasts, outbox
from services.clock import Clock
from services.delivery import CaseDeliveryHooks
from storage.db import write_transaction
from storage.models import OutboxMessage
from tests.broadcasts.people import (
    add_subscribers,
    choose,
    compose,
    coordinator,
    counts,
    latest_broadcast,
    received,
    subscribed,
)
from tests.cases.staffing import add_officer, file_report
from tests.fixtures.bot import RunningBot, start_bot
from tests.fixtures.clock import SkippingClock
from tests.fixtures.timeline import until
from tests.staff.people import Person, becomes

FIRST_RESIDENT = 100_000
OFFICER = 7301
# Nobody in a broadcast: the chat of the message `after_a_pass_begun_now` queues.
BYSTANDER = 7399


def use_sender_rate(monkeypatch: pytest.MonkeyPatch, per_second: float) -> None:
    """Run the bot's sender at `per_second` in all (and for broadcasts).

    BROADCAST_RATE is capped at Telegram's 30/s by the settings, and the sender's overall
    budget is not a setting at all, so the test builds the sender itself, as bot/app.py does,
    with higher limits; the emulator's global limit is raised with it (see each test)."""

    def create_sender(
        settings: Settings,
        telegram: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        rules_clock: Clock,
        pacing_clock: Clock,
    ) -> Sender:
        hooks = CaseDeliveryHooks(alert_policy(settings), rules_clock)
        limits = SenderLimits(global_per_second=per_second, broadcast_per_second=per_second)
        return Sender(telegram, session_factory, hooks, pacing_clock, limits)

    monkeypatch.setattr(bot.app, "create_sender", create_sender)


async def send_to_all(person: Person, text: str, recipients: int) -> int:
    """Compose, choose all subscribers, send now; returns the broadcast id."""

    async def write(user: SimulatedUser) -> None:
        await user.send_text(text)

    await compose(person, write)
    await choose(person, f"👥 All subscribers ({recipients})")
    await person.press("📤 Send now")
    message = await person.user.wait_for("is on its way")
    return int(message.text.split("#", 1)[1].split(" ", 1)[0])


async def after_a_pass_begun_now(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    """Until the sender has finished a pass begun after this moment, and so every pass before
    it: a message queued now after every other (the broadcast lane, the last row of it) is
    recorded as sent, which the sender does once every send of its wave has its answer.
    What was in flight has landed (or been refused) and is counted; what a pass would still
    send of a broadcast whose rows were all settled, it has sent."""
    emulator.user(BYSTANDER)
    async with write_transaction(bot.service.session_factory) as session:
        row_id = await outbox.enqueue(
            session,
            chat_id=BYSTANDER,
            payload=outbox.message("penanda"),
            kind="notice",
            lane=outbox.Lane.BROADCAST,
            dedupe_key=f"notice:{BYSTANDER}:{uuid.uuid4().hex}",
        )
    assert row_id is not None
    bot.service.sender.wake(outbox.Lane.BROADCAST)

    async def recorded() -> bool:
        async with bot.service.session_factory() as session:
            row = await session.get(OutboxMessage, row_id)
            return row is not None and row.status == "sent"

    await until(recorded, what="a pass of the sender begun after the rows were settled")


def too_many_requests(emulator: BotAPIEmulator) -> list[tuple[str, object, float]]:
    """The calls answered 429, to say in a failure which limit the bot went past."""
    return [
        (call.method, call.params.get("chat_id"), round(call.at, 3))
        for call in emulator.calls
        if call.error_code == 429
    ]


def copies(emulator: BotAPIEmulator, recipients: Iterable[int]) -> Counter[int]:
    """Accepted copyMessage calls per recipient chat (the coordinator's preview left out)."""
    wanted = set(recipients)
    chats = (int(call.params["chat_id"]) for call in emulator.calls_of("copyMessage") if call.ok)
    return Counter(chat for chat in chats if chat in wanted)


async def test_progress_then_cancel_midway(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    users = await add_subscribers(bot, emulator, range(FIRST_RESIDENT, FIRST_RESIDENT + 120))
    person = await coordinator(emulator)
    broadcast_id = await send_to_all(person, "Berhenti di tengah", len(users))
    # Telegram's own limits here (the sender's defaults, BROADCAST_RATE 25/s, and the
    # emulator's 30/s): 120 recipients take seconds, time enough to cancel midway.
    progress = await person.user.wait_for("is being sent to 120 recipients", timeout=10)
    # Edited as it goes: delivered so far, and what remains.
    await person.user.wait_for(
        predicate=lambda m: m.message_id == progress.message_id and m.edited,
    )
    cancel = progress.button("🛑 Cancel broadcast #1")
    assert cancel is not None and cancel.callback_data is not None
    # Copies on their way when the cancel commits: Telegram has taken them, and the sender
    # hears so only afterwards.
    in_flight = emulator.hold_answers("copyMessage")
    await asyncio.wait_for(in_flight.reached.wait(), 10)
    answer = await person.press("🛑 Cancel broadcast #1", progress)
    in_flight.release()
    assert answer is not None and answer.text == "Broadcast #1 cancelled."
    report = await person.user.wait_for("Broadcast #1 was cancelled.")
    assert "Not sent (cancelled):" in report.text

    async def cancelled() -> bool:
        return (await counts(bot, broadcast_id)).pending == 0

    await until(cancelled, what="no row pending")
    after = await counts(bot, broadcast_id)
    assert 0 < after.delivered < 120 and after.cancelled > 0
    assert after.delivered + after.cancelled == 120
    # Rows the sender had in flight when the cancel committed may still land, and then
    # count as delivered; nothing is sent after that.
    await after_a_pass_begun_now(bot, emulator)
    settled = await counts(bot, broadcast_id)
    sent = copies(emulator, (user.id for user in users))
    assert sum(sent.values()) == settled.delivered and set(sent.values()) == {1}
    assert settled.delivered + settled.cancelled == 120 and settled.cancelled > 0
    # The progress message loses its cancel button and says sending ended (the result is in
    # the cancel's answer below it, not said twice).
    final = await person.user.wait_for(
        predicate=lambda m: m.message_id == progress.message_id and "has ended" in m.text
    )
    assert final.buttons == []

    again = await person.user.press_data(cancel.callback_data, progress.message_id)
    assert again is not None and again.text == "Broadcast #1 was already cancelled."
    # At BROADCAST_RATE under Telegram's 30/s, from the very start: no 429.
    assert emulator.stats[emulator.token]["429"] == 0, too_many_requests(emulator)


async def test_a_message_deleted_midway_stops_the_broadcast_and_says_why(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    users = await add_subscribers(bot, emulator, range(FIRST_RESIDENT, FIRST_RESIDENT + 120))
    person = await coordinator(emulator)
    written: dict[str, object] = {}

    async def write(user: SimulatedUser) -> None:
        written.update(await user.send_text("Akan dihapus"))

    await compose(person, write)
    await choose(person, "👥 All subscribers (120)")
    await person.press("📤 Send now")
    progress = await person.user.wait_for("is being sent to 120 recipients", timeout=10)

    async def some_arrived() -> bool:
        return sum(copies(emulator, (user.id for user in users)).values()) > 0

    await until(some_arrived, what="the first copies")
    # The coordinator deletes the original: every copy still to come would be refused.
    person.user.delete_own(int(str(written["message_id"])))
    report = await person.user.wait_for("Broadcast #1 was stopped", timeout=10)
    assert "your original message is no longer in this chat" in report.text
    assert "Send /siaran to write it again." in report.text

    async def settled() -> bool:
        return (await counts(bot, 1)).pending == 0

    await until(settled, what="no row pending")
    # The copies in flight when the first refusal came have landed or been refused too.
    await after_a_pass_begun_now(bot, emulator)
    after = await counts(bot, 1)
    sent = copies(emulator, (user.id for user in users))
    assert after.delivered == sum(sent.values()) > 0 and set(sent.values()) == {1}
    # Only the copies already on their way when the first refusal came were refused too: the
    # first is failed, and one still in flight then is cancelled with the rest if its refusal
    # comes after the broadcast stopped (storage/repositories/broadcasts.py).
    refused = [
        call
        for call in emulator.calls_of("copyMessage")
        if not call.ok and int(call.params["chat_id"]) >= FIRST_RESIDENT
    ]
    assert 0 < after.failed <= len(refused) <= 20
    assert after.cancelled > 0 and after.delivered + after.failed + after.cancelled == 120
    assert (await latest_broadcast(bot)).status == broadcasts.CANCELLED
    # The progress message says sending ended and loses its cancel button; why is below.
    [final] = [m for m in person.user.chat.bot_messages() if m.message_id == progress.message_id]
    assert "sending has ended" in final.text and final.buttons == []
    assert emulator.stats[emulator.token]["429"] == 0, too_many_requests(emulator)


async def test_a_403_counts_as_blocked_and_unsubscribes(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    [reader, blocker] = await add_subscribers(bot, emulator, [FIRST_RESIDENT, FIRST_RESIDENT + 1])
    person = await coordinator(emulator)

    async def write(user: SimulatedUser) -> None:
        await user.send_text("Halo")

    await compose(person, write)
    await choose(person, "👥 All subscribers (2)")
    # One resident blocks the bot without the bot hearing of it: only the send says so.
    emulator.fail_next("copyMessage", 403, "Forbidden: bot was blocked by the user")
    await person.press("📤 Send now")
    report = await person.user.wait_for("Broadcast #1 is finished", timeout=10)
    assert "Delivered: 1" in report.text and "Blocked the bot: 1" in report.text
    [delivered] = [user for user in (reader, blocker) if received(user)]
    [refused] = [user for user in (reader, blocker) if not received(user)]
    await becomes(lambda: subscribed(bot, refused.id), False)
    assert await subscribed(bot, delivered.id)


async def test_a_resident_who_blocks_the_bot_midway_is_counted_and_unsubscribed(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    users = await add_subscribers(bot, emulator, range(FIRST_RESIDENT, FIRST_RESIDENT + 60))
    last = users[-1]
    person = await coordinator(emulator)
    broadcast_id = await send_to_all(person, "Sampai jumpa", 60)
    # The rows are queued (the progress message says so); rows go out in order, so the last
    # resident's copy is still to come when they block the bot.
    await person.user.wait_for("is being sent to 60 recipients", timeout=10)
    assert not received(last)
    last.block()
    report = await person.user.wait_for(f"Broadcast #{broadcast_id} is finished", timeout=15)
    assert "Delivered: 59" in report.text and "Blocked the bot: 1" in report.text
    assert not received(last)
    await becomes(lambda: subscribed(bot, last.id), False)
    assert emulator.stats[emulator.token]["429"] == 0, too_many_requests(emulator)


async def test_replies_to_residents_during_a_broadcast_leave_no_429(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    """Handlers answer residents directly, not through the outbox: the sender counts those
    replies too, so a broadcast at its full rate makes room for them."""
    await add_subscribers(bot, emulator, range(FIRST_RESIDENT, FIRST_RESIDENT + 90))
    person = await coordinator(emulator)
    broadcast_id = await send_to_all(person, "Awas penipuan", 90)
    await person.user.wait_for("is being sent to 90 recipients", timeout=10)
    chatting = [emulator.user(FIRST_RESIDENT + 500 + i) for i in range(24)]
    for wave in (chatting[:12], chatting[12:]):
        await asyncio.gather(*(resident.send_command("/bantuan") for resident in wave))
        await asyncio.gather(*(resident.wait_for("/status", timeout=10) for resident in wave))
    await person.user.wait_for(f"Broadcast #{broadcast_id} is finished", timeout=30)
    assert emulator.stats[emulator.token]["429"] == 0, too_many_requests(emulator)


async def test_two_thousand_recipients_each_once_with_an_urgent_alert_in_between(
    emulator: BotAPIEmulator, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000 at Telegram's 25/s would take 80 s: the sender runs at 250/s, the emulator allows
    # 500/s. Twice, not equal: the sender's token bucket may spend a full second's budget at
    # once on top of its rate, so a strict one-second window sees up to twice the rate.
    emulator.rate_limits.global_per_second = 500
    use_sender_rate(monkeypatch, 250)
    running = await start_bot(settings, emulator)
    try:
        ids = range(FIRST_RESIDENT, FIRST_RESIDENT + 2000)
        await add_subscribers(running, emulator, ids)
        await add_officer(running.service, OFFICER, "Kalampangan", name="Bu Rina")
        officer = emulator.user(OFFICER)
        person = await coordinator(emulator)
        started = time.monotonic()
        broadcast_id = await send_to_all(person, "Awas penipuan lowongan kerja", 2000)

        async def under_way() -> bool:
            return (await counts(running, broadcast_id)).delivered >= 400

        await until(under_way, within=30, what="400 delivered")
        _, code = await file_report(running.service, "Kalampangan", urgent=True)
        await officer.wait_for(code, timeout=1.0)
        assert (await counts(running, broadcast_id)).pending > 0, "the alert came after all"

        await person.user.wait_for(f"Broadcast #{broadcast_id} is finished", timeout=60)
        took = time.monotonic() - started
        final = await counts(running, broadcast_id)
        assert (final.delivered, final.failed, final.blocked, final.pending) == (2000, 0, 0, 0)
        sent = copies(emulator, ids)
        assert set(sent) == set(ids) and set(sent.values()) == {1}
        assert emulator.stats[emulator.token]["429"] == 0, too_many_requests(emulator)
        assert took < 60, f"2,000 recipients took {took:.1f}s"
    finally:
        await running.stop()


async def test_a_restart_in_the_middle_resumes_without_duplicates(
    emulator: BotAPIEmulator,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    rate_clock: SkippingClock,
) -> None:
    emulator.rate_limits.global_per_second = 200
    use_sender_rate(monkeypatch, 100)  # half the emulator's limit, as above
    running = await start_bot(settings, emulator)
    ids = range(FIRST_RESIDENT, FIRST_RESIDENT + 300)
    try:
        await add_subscribers(running, emulator, ids)
        person = await coordinator(emulator)
        broadcast_id = await send_to_all(person, "Sekali untuk setiap orang", 300)

        async def under_way() -> bool:
            return (await counts(running, broadcast_id)).delivered >= 60

        await until(under_way, within=20, what="60 delivered")
    finally:
        await running.stop()
    stopped_at = await counts(running, broadcast_id)
    assert stopped_at.pending > 0, "it finished before the restart"
    # A restart takes longer than a second in life (Telegram's window moves on). A new sender
    # starts with a full second of budget, which on top of the old one's last second would
    # exceed the emulator's window.
    rate_clock.skip(1.0)

    running = await start_bot(settings, emulator)
    try:
        await person.user.wait_for(f"Broadcast #{broadcast_id} is finished", timeout=30)
        final = await counts(running, broadcast_id)
        assert (final.delivered, final.pending) == (300, 0)
        sent = copies(emulator, ids)
        assert set(sent) == set(ids) and set(sent.values()) == {1}
        assert (await latest_broadcast(running)).status == broadcasts.DONE
        assert emulator.stats[emulator.token]["429"] == 0, too_many_requests(emulator)
    finally:
        await running.stop()


async def test_the_end_of_a_broadcast_is_said_once(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    """The result comes once, as a new message (it notifies); the progress message only says
    that sending has ended, rather than repeating the same "finished" and counts above it."""
    [reader] = await add_subscribers(bot, emulator, [FIRST_RESIDENT])
    person = await coordinator(emulator)
    broadcast_id = await send_to_all(person, "Halo semua", 1)
    progress = await person.user.wait_for("is being sent to 1 recipient.", timeout=10)
    await person.user.wait_for(f"Broadcast #{broadcast_id} is finished", timeout=15)
    assert received(reader)

    async def progress_ended() -> bool:
        [shown] = [m for m in person.user.chat.messages if m.message_id == progress.message_id]
        return "sending has ended" in shown.text

    await until(progress_ended, what="the progress message's end")
    await person.user.wait_idle()
    finished = [m for m in person.user.chat.bot_messages() if "is finished" in m.text]
    assert len(finished) == 1, person.user.chat.transcript()
    [shown] = [m for m in person.user.chat.messages if m.message_id == progress.message_id]
    assert shown.buttons == [] and "Delivered" not in shown.text
