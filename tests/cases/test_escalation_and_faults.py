"""Escalation when nobody takes a case, and alerts that survive 403s, outages and restarts."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services.clock import ManualClock
from storage.models import Alert, AuditLog, OutboxMessage
from tests.cases.staffing import add_officer, file_report, tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot, make_settings, start_bot
from tests.fixtures.clock import advance
from tests.fixtures.outbox import settled, tried
from tests.fixtures.timeline import until
from tests.translations import translate

RINA, JOKO = 3201, 3202


async def staff(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    for user_id in (RINA, JOKO, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, JOKO, "Sabaru", name="Pak Joko")


async def escalation_steps(bot: RunningBot, report_id: int) -> list[tuple[int, str, int]]:
    """(step, outcome, level) of each escalation step recorded for the report, in order."""
    async with bot.service.session_factory() as session:
        details = await session.scalars(
            select(AuditLog.detail)
            .where(AuditLog.action == "escalation_step", AuditLog.report_id == report_id)
            .order_by(AuditLog.id)
        )
        steps = [json.loads(detail or "{}") for detail in details]
    return [(step["step"], step["outcome"], step["level"]) for step in steps]


async def alert_rows(bot: RunningBot, report_id: int) -> list[Alert]:
    async with bot.service.session_factory() as session:
        return list(await session.scalars(select(Alert).where(Alert.report_id == report_id)))


async def has_tried(sessions: async_sessionmaker[AsyncSession], chat_id: int) -> bool:
    return await tried(sessions, chat_id) > 0


async def test_unacknowledged_alerts_remind_then_climb_until_someone_takes_it(
    bot: RunningBot, emulator: BotAPIEmulator, clock: ManualClock
) -> None:
    await staff(bot, emulator)
    report_id, code = await file_report(bot.service, "Kalampangan")
    rina, joko, coordinator = (emulator.user(u) for u in (RINA, JOKO, COORDINATOR_ID))
    ack_timeout = bot.service.settings.ack_timeout
    await rina.wait_for(code)
    await advance(bot, clock, ack_timeout - timedelta(seconds=1))
    assert await escalation_steps(bot, report_id) == [], "a step came before ACK_TIMEOUT"

    await advance(bot, clock, timedelta(seconds=1))  # step 1: remind the kelurahan
    assert code in (await rina.wait_for("Pengingat 1")).text
    await advance(bot, clock, ack_timeout)  # step 2: climb to the kecamatan
    assert "Pengingat 2" in (await joko.wait_for(code)).text
    await advance(bot, clock, ack_timeout)  # step 3: remind everyone alerted so far
    for officer in (rina, joko):
        assert code in (await officer.wait_for("Pengingat 3")).text
    recipients = {alert.recipient_id for alert in await alert_rows(bot, report_id)}
    assert COORDINATOR_ID not in recipients, "the coordinators were alerted before step 4"
    await advance(bot, clock, ack_timeout)  # step 4: climb to the coordinators
    assert "Pengingat 4" in (await coordinator.wait_for(code)).text
    assert await escalation_steps(bot, report_id) == [
        (1, "reminded", 0),
        (2, "escalated", 1),
        (3, "reminded", 1),
        (4, "escalated", 2),
    ]
    assert {alert.level for alert in await alert_rows(bot, report_id)} == {0, 1, 2}

    await tap(joko, f"✅ Terima {code}", joko.chat.last_bot_message())
    await joko.wait_for("Ditangani")
    sent = len(await alert_rows(bot, report_id))
    # Taken: however long it then stays quiet, no step comes any more, and nobody is alerted.
    await advance(bot, clock, ack_timeout * 4)
    assert len(await escalation_steps(bot, report_id)) == 4, "escalation went on after Terima"
    assert len(await alert_rows(bot, report_id)) == sent


async def test_an_officer_who_blocked_the_bot_is_routed_around(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    emulator.user(RINA).block()
    _, code = await file_report(bot.service, "Kalampangan")
    await emulator.user(JOKO).wait_for(code, timeout=5)
    async with bot.service.session_factory() as session:
        to_rina = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == RINA))
        )
    # Either the bot already knew (the my_chat_member update came first) and skipped her, or
    # Telegram's 403 told it; either way nothing for her is left pending.
    assert all(row.status == "dead" for row in to_rina)
    assert not [m for m in emulator.user(RINA).chat.messages if code in m.text]


async def test_an_outage_delays_alerts_but_loses_none_urgent_first(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """20 reports during a Telegram outage: after recovery each alert arrives once, urgent
    first. Waiting alerts for one officer may be combined into one message (README, "Durable
    delivery")."""
    # Long timeouts: this test is about delivery, not about reminders during the outage.
    settings = make_settings(
        emulator, database_url, ack_timeout=timedelta(minutes=10), job_tick=timedelta(seconds=1)
    )
    bot = await start_bot(settings, emulator)
    try:
        await staff(bot, emulator)
        emulator.set_outage("down")
        codes, urgent = [], set()
        for index in range(20):
            is_urgent = index % 5 == 4
            _, code = await file_report(bot.service, "Kalampangan", urgent=is_urgent)
            codes.append(code)
            if is_urgent:
                urgent.add(code)
        sessions = bot.service.session_factory
        # The sender has met the outage (its tries failed; the alerts wait in the outbox).
        await until(lambda: has_tried(sessions, RINA), "a failed try", within=5)
        emulator.set_outage(None)
        rina = emulator.user(RINA)
        # Several alerts may share one combined message, so look at the whole chat.
        while not all(any(c in m.text for m in rina.chat.messages) for c in codes):
            await rina.wait_for(timeout=30)  # the next message, whatever it says
        # Nothing left to send: no alert can arrive a second time after this.
        await until(lambda: settled(sessions), "the outbox settled", within=30)
        alerts = [m for m in rina.chat.messages if "LA-" in m.text]
        for code in codes:
            assert sum(code in m.text for m in alerts) == 1, f"{code} must arrive exactly once"
        position = {code: next(i for i, m in enumerate(alerts) if code in m.text) for code in codes}
        last_urgent = max(position[c] for c in urgent)
        first_normal = min(position[c] for c in codes if c not in urgent)
        assert last_urgent <= first_normal, "urgent alerts go out first"
    finally:
        await bot.stop()


async def test_alerts_pending_when_the_bot_stops_are_sent_after_restart(
    bot: RunningBot, emulator: BotAPIEmulator, settings: Settings
) -> None:
    await staff(bot, emulator)
    emulator.set_outage("down")
    _, code = await file_report(bot.service, "Kalampangan")
    await bot.stop()
    emulator.set_outage(None)
    restarted = await start_bot(settings, emulator)
    try:
        await emulator.user(RINA).wait_for(code, timeout=10)
        # Nothing left to send: a second copy cannot come after this.
        await until(
            lambda: settled(restarted.service.session_factory), "the outbox settled", within=5
        )
        alerts = [m for m in emulator.user(RINA).chat.messages if code in m.text]
        assert len(alerts) == 1
    finally:
        await restarted.stop()


async def test_evidence_is_sent_by_file_id_never_forwarded(
    bot: RunningBot, emulator: BotAPIEmulator, resident: object
) -> None:
    await staff(bot, emulator)
    reporter = emulator.user(5001)
    photo = await reporter.send_photo(caption="bukti")
    from services.report_draft import Attachment

    attachment = Attachment("photo", photo["photo"][-1]["file_id"], 5001, photo["message_id"])
    _, code = await file_report(
        bot.service, "Kalampangan", reporter_chat=5001, consent=True, evidence=[attachment]
    )
    rina = emulator.user(RINA)
    copy = await rina.wait_for(code, predicate=lambda m: m.kind == "photo")
    assert copy.file_id == attachment.file_id and copy.copied_from is None
    assert copy.forward_origin is None
    assert not emulator.calls_of("forwardMessage") and not emulator.calls_of("copyMessage")


async def test_evidence_reaches_officers_alerted_after_the_reporter_cleared_the_chat(
    bot: RunningBot, emulator: BotAPIEmulator, clock: ManualClock
) -> None:
    """/hapus deletes the resident's own messages, the evidence among them: an officer alerted
    later (here the kecamatan's, by escalation) still gets it, sent again by its file id."""
    await staff(bot, emulator)
    reporter = emulator.user(5002)
    photo = await reporter.send_photo(caption="bukti")
    await reporter.wait_for()  # answered: the bot has its id for /hapus
    from services.report_draft import Attachment

    file_id = photo["photo"][-1]["file_id"]
    attachment = Attachment("photo", file_id, 5002, photo["message_id"])
    _, code = await file_report(
        bot.service, "Kalampangan", reporter_chat=5002, consent=True, evidence=[attachment]
    )
    rina, joko = emulator.user(RINA), emulator.user(JOKO)
    first = await rina.wait_for(code, predicate=lambda m: m.kind == "photo")
    await reporter.send_command("/hapus")
    await tap(reporter, translate("id", "🧹 Yes, delete them"))
    await reporter.wait_for("48")
    assert photo["message_id"] not in [m.message_id for m in emulator.chat(5002).messages]
    # Nobody took it: a reminder, then the kecamatan's officers are alerted.
    for _step in range(2):
        await advance(bot, clock, bot.service.settings.ack_timeout)
    later = await joko.wait_for(code, predicate=lambda m: m.kind == "photo", timeout=10)
    assert later.file_id == first.file_id == file_id
    assert later.forward_origin is None and not emulator.calls_of("forwardMessage")
    async with bot.service.session_factory() as session:
        dead = await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead"))
        assert list(dead) == []


async def test_a_level_that_adds_nobody_new_is_skipped(
    bot: RunningBot, emulator: BotAPIEmulator, clock: ManualClock
) -> None:
    """With one officer in the kecamatan, its level would re-alert the same person: the
    coordinators used to hear of the report only at step 4 (4 × ACK_TIMEOUT, an hour at the
    defaults). They hear at step 2 now, when the first climb finds nobody new below them."""
    for user_id in (RINA, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    report_id, code = await file_report(bot.service, "Kalampangan")
    rina, coordinator = emulator.user(RINA), emulator.user(COORDINATOR_ID)
    ack_timeout = bot.service.settings.ack_timeout
    await rina.wait_for(code)
    await advance(bot, clock, ack_timeout)  # step 1: remind Rina
    await rina.wait_for("Pengingat 1")
    await advance(bot, clock, ack_timeout)  # step 2: the kecamatan is only Rina again
    assert "Pengingat 2" in (await coordinator.wait_for(code)).text
    assert await escalation_steps(bot, report_id) == [(1, "reminded", 0), (2, "escalated", 2)]
    alerts = [(a.recipient_id, a.level) for a in await alert_rows(bot, report_id)]
    assert (RINA, 1) not in alerts, "Rina was alerted again as the kecamatan's level"
