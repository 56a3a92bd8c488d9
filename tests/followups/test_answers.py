"""The reporter's follow-ups and each of their answers, over HTTP through the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services import followups
from services.clock import ManualClock
from storage.models import Alert, OutboxMessage, Report
from tests.cases.staffing import tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.clock import advance
from tests.followups.helpers import (
    CONTACTED,
    HELP,
    NOBODY,
    OPEN,
    STOP,
    add_officer,
    audit_actions,
    file_report,
    jobs_of,
    next_checkin,
    outbox_rows,
    shown,
    speak_english,
)
from tests.staff.people import becomes

REPORTER = 6101
RINA, JOKO, SARI = 6201, 6202, 6203  # Kalampangan, Sabaru (both Sabangau), Menteng
DUE = timedelta(hours=2, minutes=1)  # FOLLOWUP_AFTER is 2 h here


@pytest.fixture
async def reporter(bot: RunningBot, emulator: BotAPIEmulator) -> SimulatedUser:
    for user_id in (RINA, JOKO, SARI, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}", language_code="en")
    await speak_english(bot.service, COORDINATOR_ID)
    return emulator.user(REPORTER, first_name="Ani", language_code="en")


async def stopped(bot: RunningBot, report_id: int) -> bool:
    return (await report_row(bot, report_id)).followups_stopped


async def owner(bot: RunningBot, report_id: int) -> int | None:
    return (await report_row(bot, report_id)).owner_id


async def report_row(bot: RunningBot, report_id: int) -> Report:
    async with bot.service.session_factory() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        return report


async def first_checkin(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser
) -> tuple[int, str, BotMessage]:
    report_id, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    await advance(bot, clock, DUE)
    checkin = await next_checkin(reporter)
    return report_id, code, checkin


async def open_question(reporter: SimulatedUser, checkin: BotMessage, code: str) -> BotMessage:
    await tap(reporter, shown("en", OPEN), checkin)
    return await reporter.wait_for(code)


async def test_a_discreet_checkin_contacted_recorded_once_then_stop_reminding_me(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser
) -> None:
    report_id, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    await advance(bot, clock, timedelta(hours=1, minutes=59))
    await reporter.wait_idle()
    assert reporter.chat.bot_messages() == [], "nothing before FOLLOWUP_AFTER"
    await advance(bot, clock, timedelta(minutes=2))
    checkin = await next_checkin(reporter)
    # A glance at the phone reveals nothing: no code, no report, no topic.
    visible = checkin.text.casefold()
    assert code.casefold() not in visible
    for word in ("report", "laporan", "violence", "kekerasan", "case", "kasus", "officer"):
        assert word not in visible

    question = await open_question(reporter, checkin, code)
    assert question.message_id == checkin.message_id, "the check-in itself shows the question"
    await tap(reporter, shown("en", CONTACTED), question)
    outcome = await reporter.wait_for("noted that someone contacted you")
    assert outcome.buttons == []
    again = await reporter.press_data(
        followups.pack(followups.CONTACTED, report_id, 1), checkin.message_id
    )
    assert again is not None and again.show_alert and "already answered" in (again.text or "")
    await reporter.wait_idle()

    [first, second] = await jobs_of(bot.service, report_id, followups.FOLLOWUP)
    assert first.key == f"followup:{report_id}:1" and first.payload is not None
    assert first.payload["sent"] and first.payload["answer"] == followups.CONTACTED
    assert second.done_at is None and second.due_at == clock.now() + timedelta(hours=72)
    actions = await audit_actions(bot.service, report_id)
    assert actions.count("followup_answered") == 1 and "followup_refused" in actions
    report = await report_row(bot, report_id)
    assert report.last_followup_at == clock.now()
    assert report.status == "baru" and report.owner_id is None

    # FOLLOWUP_EVERY later, the next check-in; "Stop reminding me" ends them.
    await advance(bot, clock, timedelta(hours=72))
    later = await next_checkin(reporter)
    await open_question(reporter, later, code)
    await tap(reporter, shown("en", STOP), later)
    await reporter.wait_for("we will not send you these messages any more")
    # The update commits right after its reply.
    await becomes(lambda: stopped(bot, report_id), True)
    [*_, pending] = await jobs_of(bot.service, report_id, followups.FOLLOWUP)
    assert pending.key == f"followup:{report_id}:3" and pending.cancelled
    await advance(bot, clock, timedelta(days=4))
    await reporter.wait_idle()
    assert len(await outbox_rows(bot.service, report_id=report_id, kind="followup")) == 2


async def test_nobody_contacted_reminds_the_owner_and_tells_the_coordinators(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")
    report_id, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    rina, coordinator = emulator.user(RINA), emulator.user(COORDINATOR_ID)
    alert = await rina.wait_for(code)
    await tap(rina, f"✅ Accept {code}", alert)
    await rina.wait_for("Handled by: Bu Rina")

    await advance(bot, clock, DUE)
    checkin = await next_checkin(reporter)
    await open_question(reporter, checkin, code)
    await tap(reporter, shown("en", NOBODY), checkin)
    await reporter.wait_for("We have reminded the officer handling your report")

    reminder = await rina.wait_for("says nobody has contacted them yet")
    assert code in reminder.text
    told = await coordinator.wait_for(f"Follow-up on case {code}")
    assert "Bu Rina" in told.text and "has been reminded" in told.text
    await tap(rina, f"📁 Open {code}", reminder)
    card = await rina.wait_for(f"Case {code}")
    assert "Handled by: Bu Rina" in card.text
    await reporter.wait_idle()
    assert "followup_answered" in await audit_actions(bot.service, report_id)


async def test_nobody_contacted_without_an_owner_alerts_the_case_again(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")
    report_id, code, checkin = await first_checkin(bot, clock, reporter)
    rina, coordinator = emulator.user(RINA), emulator.user(COORDINATOR_ID)
    await rina.wait_for(code)
    await open_question(reporter, checkin, code)
    await tap(reporter, shown("en", NOBODY), checkin)
    await reporter.wait_for("We have alerted the officers again")

    again = await rina.wait_for("The reporter says nobody has contacted them yet")
    assert code in again.text
    told = await coordinator.wait_for(f"Follow-up on case {code}")
    assert "Nobody has taken the case yet" in told.text
    # The re-alert's Accept works like the first one.
    await tap(rina, f"✅ Accept {code}", again)
    await rina.wait_for("Handled by: Bu Rina")
    await becomes(lambda: owner(bot, report_id), RINA)  # committed right after its reply


async def test_help_now_alerts_again_as_urgent_and_shows_the_emergency_numbers(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, clock, JOKO, "Sabaru", name="Pak Joko")
    await add_officer(bot.service, clock, SARI, "Menteng", name="Bu Sari")
    report_id, code, checkin = await first_checkin(bot, clock, reporter)
    rina, joko, coordinator = (emulator.user(u) for u in (RINA, JOKO, COORDINATOR_ID))
    await rina.wait_for(code)
    await open_question(reporter, checkin, code)
    await tap(reporter, shown("en", HELP), checkin)
    await reporter.wait_for("We have alerted the officers and the coordinators again")
    numbers = await reporter.wait_for("112 (Darurat)")
    assert "129 (SAPA)" in numbers.text

    urgent_again = await rina.wait_for("URGENT: the reporter asks for help now")
    assert code in urgent_again.text
    # The kecamatan's on-duty officer and the coordinators, never alerted before, get it all.
    assert code in (await joko.wait_for("URGENT REPORT")).text
    assert code in (await coordinator.wait_for("URGENT REPORT")).text
    report = await report_row(bot, report_id)
    assert report.urgent
    async with bot.service.session_factory() as session:
        alerted = set(
            await session.scalars(select(Alert.recipient_id).where(Alert.report_id == report_id))
        )
        lanes = set(
            await session.scalars(
                select(OutboxMessage.lane).where(
                    OutboxMessage.report_id == report_id,
                    OutboxMessage.kind == "alert",
                    OutboxMessage.recipient_id.in_((JOKO, COORDINATOR_ID)),
                )
            )
        )
    assert alerted == {RINA, JOKO, COORDINATOR_ID}, "not Bu Sari: another kecamatan"
    assert lanes == {0}

    # A second press changes nothing, but the numbers are shown again.
    again = await reporter.press_data(
        followups.pack(followups.HELP, report_id, 1), checkin.message_id
    )
    assert again is not None and "already answered" in (again.text or "")
    await reporter.wait_for("112 (Darurat)")
    await reporter.wait_idle()
    assert (await audit_actions(bot.service, report_id)).count("followup_help_requested") == 1
