"""ALERT_PAID_BROADCAST: alerts that find Telegram's bot-wide limit used up go out at once as
paid broadcasts; nothing else ever does, and a refusal costs no alert."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sending.budget import SenderLimits
from playground.emulator import BotAPIEmulator
from services import outbox
from storage.models import DeliveryAttempt
from tests.delivery.conftest import (
    SenderFactory,
    all_settled,
    delivered_calls,
    queue,
    rows,
)
from tests.fixtures.timeline import until

Sessions = async_sessionmaker[AsyncSession]
People = Callable[[int], int]
OFFICERS = range(6001, 6046)  # 45: more than Telegram's 30 in a second
RESIDENTS = range(7001, 7011)


async def _burst(sessions: Sessions, people: People) -> None:
    for officer in OFFICERS:
        await queue(sessions, people(officer), f"Laporan {officer}", lane=outbox.Lane.ALERT)
    for resident in RESIDENTS:
        await queue(sessions, people(resident), f"Tanda terima {resident}", lane=outbox.Lane.RELAY)


def _paid(emulator: BotAPIEmulator) -> list[int]:
    return [
        int(call.params["chat_id"])
        for call in delivered_calls(emulator, "sendMessage")
        if call.params.get("allow_paid_broadcast") in (True, "true", "True")
    ]


def _most_free_in_a_second(emulator: BotAPIEmulator) -> int:
    free = sorted(
        call.at
        for call in delivered_calls(emulator, "sendMessage")
        if call.params.get("allow_paid_broadcast") in (None, False, "false")
    )
    return max(sum(1 for at in free if start <= at < start + 1.0) for start in free)


async def test_alerts_over_the_limit_are_paid_for_and_nothing_else_is(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    await _burst(session_factory, people)
    sender = make_sender(limits=SenderLimits(paid_alerts=True))
    await sender.start()
    sender.wake()
    await until(lambda: all_settled(session_factory), "all sent", within=20)

    assert all(row.status == "sent" for row in (await rows(session_factory)).values())
    paid = _paid(emulator)
    assert paid, "no alert went as a paid broadcast"
    assert set(paid) <= set(OFFICERS), "only alerts may cost Stars"
    assert len(paid) == len(set(paid)) == emulator.stats["paid"] == sender.counters.paid
    assert emulator.stars() == 1000 - len(paid) / 10
    # Every alert left before any receipt, and the free messages stayed within Telegram's 30.
    order = [int(call.params["chat_id"]) for call in delivered_calls(emulator, "sendMessage")]
    assert set(order[: len(OFFICERS)]) == set(OFFICERS)
    assert _most_free_in_a_second(emulator) <= 30
    assert emulator.stats["429"] == 0


async def test_without_the_setting_alerts_wait_for_the_free_limit(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    await _burst(session_factory, people)
    sender = make_sender()
    await sender.start()
    sender.wake()
    await until(lambda: all_settled(session_factory), "all sent", within=20)

    assert _paid(emulator) == [] and sender.counters.paid == 0
    alerts = [
        call.at
        for call in delivered_calls(emulator, "sendMessage")
        if int(call.params["chat_id"]) in OFFICERS
    ]
    assert alerts[-1] - alerts[0] >= 1.0, "45 alerts in under a second without paying"


async def test_a_refused_paid_broadcast_costs_no_alert(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    emulator.set_stars(0)
    await _burst(session_factory, people)
    sender = make_sender(limits=SenderLimits(paid_alerts=True))
    await sender.start()
    sender.wake()
    await until(lambda: all_settled(session_factory), "all sent", within=20)

    stored = await rows(session_factory)
    assert all(row.status == "sent" for row in stored.values()), "an alert was dead-lettered"
    assert emulator.stats["paid"] == 0 and emulator.stats["429"] == 0
    async with session_factory() as session:
        refused = list(
            await session.scalars(
                select(DeliveryAttempt.detail).where(DeliveryAttempt.outcome == "bad_request")
            )
        )
    # Those in flight when Telegram first said no, and none after.
    assert 1 <= len(refused) <= 30
    assert all(detail and "paid broadcast refused" in detail for detail in refused)
    delivered = [int(c.params["chat_id"]) for c in delivered_calls(emulator, "sendMessage")]
    assert sorted(delivered) == sorted([*OFFICERS, *RESIDENTS])


async def test_a_bad_alert_refused_as_paid_does_not_stop_paying(
    emulator: BotAPIEmulator, session_factory: Sessions, make_sender: SenderFactory, people: People
) -> None:
    """A 400 for a paid alert may be about the message, not the Stars: sent unpaid, it fails
    again and is dead-lettered as any bad message, and later bursts are paid for again."""
    for officer in OFFICERS:
        await queue(session_factory, people(officer), f"Laporan {officer}", lane=outbox.Lane.ALERT)
    bad = await queue(
        session_factory, people(6099), "<b>tidak ditutup", lane=outbox.Lane.ALERT, kind="alert"
    )
    # A free window of 2 a second: the bad alert, queued last, is surely over it and paid
    # for, however slowly a loaded machine sends the first ones.
    sender = make_sender(
        limits=SenderLimits(paid_alerts=True, global_per_second=2.0, alert_reserve=0)
    )
    await sender.start()
    sender.wake()
    await until(lambda: all_settled(session_factory), "first burst", within=20)
    stored = await rows(session_factory)
    assert stored[bad].status == "dead"
    assert all(row.status == "sent" for row_id, row in stored.items() if row_id != bad)
    async with session_factory() as session:
        tried = list(
            await session.scalars(
                select(DeliveryAttempt.detail)
                .where(DeliveryAttempt.outbox_id == bad)
                .order_by(DeliveryAttempt.id)
            )
        )
    assert len(tried) == 2 and "paid broadcast refused" in (tried[0] or ""), tried

    second = range(6101, 6146)
    for officer in second:
        await queue(session_factory, people(officer), f"Laporan {officer}", lane=outbox.Lane.ALERT)
    sender.wake()
    await until(lambda: all_settled(session_factory), "second burst", within=20)
    assert set(_paid(emulator)) & set(second), "paying stopped for good after a bad message"
