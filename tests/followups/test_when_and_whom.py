"""When follow-ups come and to whom: quiet hours, consent, closed cases, late, forged and
erased presses, a reporter who blocked the bot, a restart with follow-ups due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from playground.emulator import BotAPIEmulator, SimulatedUser
from services import followups
from services.clock import ManualClock
from storage.models import OutboxMessage, Report, ScheduledJob
from tests.cases.staffing import tap
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot, start_bot
from tests.fixtures.clock import advance, run_jobs
from tests.fixtures.people import stored_user
from tests.followups.conftest import START
from tests.followups.helpers import (
    OPEN,
    add_officer,
    audit_actions,
    file_report,
    jobs_of,
    next_checkin,
    open_notice,
    outbox_rows,
    shown,
    speak_english,
)
from tests.translations import translate

REPORTER, STRANGER = 6301, 6302
RINA = 6303
EVERY = timedelta(hours=72)


@pytest.fixture
async def reporter(bot: RunningBot, emulator: BotAPIEmulator) -> SimulatedUser:
    for user_id in (RINA, COORDINATOR_ID, STRANGER):
        emulator.user(user_id, first_name=f"U{user_id}", language_code="en")
    await speak_english(bot.service, COORDINATOR_ID)
    return emulator.user(REPORTER, first_name="Ani", language_code="en")


async def test_quiet_hours_in_wib_and_no_followup_without_consent(
    bot: RunningBot, clock: ManualClock, emulator: BotAPIEmulator
) -> None:
    """Three reports on Monday: one due at 12:00 WIB while the bot is down until 23:00, one due
    at 22:00 WIB, one without contact consent. The first two come at 07:00 WIB, the third never."""
    late, evening, silent = (
        emulator.user(user_id, first_name=f"R{user_id}", language_code="en")
        for user_id in (6311, 6312, 6313)
    )
    late_id, _ = await file_report(bot.service, clock, "Kalampangan", reporter=late.id)
    silent_id, _ = await file_report(
        bot.service, clock, "Kalampangan", reporter=silent.id, consent=False
    )
    assert await jobs_of(bot.service, silent_id, followups.FOLLOWUP) == []
    # The bot is down: no tick runs the late round at 20:00 (advance() below runs what is due).
    # A tick started just before the pause may still be running: it must be over before the
    # clock moves, or it runs the late round at 20:00 (seen on a busy machine).
    bot.service.scheduler.pause()
    await asyncio.sleep(0)  # a tick the scheduler started takes the job runner's lock now
    await bot.service.jobs.drain()
    clock.set(START + timedelta(hours=10))  # 20:00 WIB: FOLLOWUP_AFTER (2 h) ends at 22:00
    evening_id, _ = await file_report(bot.service, clock, "Menteng", reporter=evening.id)
    morning = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 07:00 WIB on Tuesday
    [planned] = await jobs_of(bot.service, evening_id, followups.FOLLOWUP)
    assert planned.due_at == morning, "moved to the end of the quiet hours when scheduled"

    await advance(bot, clock, timedelta(hours=3))  # 23:00 WIB: the bot is back
    bot.service.scheduler.resume()
    [deferred, handed_over] = await jobs_of(bot.service, late_id, followups.FOLLOWUP)
    assert deferred.payload is not None and deferred.payload.get("deferred")
    assert handed_over.due_at == morning, "a late run in quiet hours waits for the morning"
    await advance(bot, clock, timedelta(hours=7, minutes=59))  # 06:59 WIB
    for user in (late, evening, silent):
        await user.wait_idle()
        assert user.chat.bot_messages() == []

    await advance(bot, clock, timedelta(minutes=1))  # 07:00 WIB
    for user in (late, evening):
        checkin = await next_checkin(user)
        assert checkin.button(shown("en", OPEN)) is not None
    [sent, following] = await jobs_of(bot.service, evening_id, followups.FOLLOWUP)
    assert sent.done_at == morning and following.due_at == morning + EVERY
    await advance(bot, clock, timedelta(days=4))
    await silent.wait_idle()
    assert silent.chat.bot_messages() == []


async def test_a_report_sent_in_the_chat_with_consent_is_followed_up(
    bot: RunningBot, clock: ManualClock, emulator: BotAPIEmulator
) -> None:
    """Through the whole report conversation, in Indonesian (conversations/report/submit.py)."""
    emulator.user(COORDINATOR_ID, first_name="Koordinator")
    resident = Resident(emulator.user(6310, first_name="Siti", language_code="id"), "id")
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga saya dipukul.")
    await resident.finish_anonymously(consent=True)
    code = await resident.send()
    async with bot.service.session_factory() as session:
        report = await session.scalar(select(Report).where(Report.code == code))
        assert report is not None and report.language == "id"
    [job] = await jobs_of(bot.service, report.id, followups.FOLLOWUP)
    assert job.due_at == START + timedelta(hours=2)
    await advance(bot, clock, timedelta(hours=2))
    checkin = await next_checkin(resident.user, "id")
    await tap(resident.user, shown("id", OPEN), checkin)
    assert code in (await resident.user.wait_for(code)).text


async def test_no_followup_after_the_case_is_closed(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")
    report_id, code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Accept {code}", await rina.wait_for(code))
    await advance(bot, clock, timedelta(hours=2, minutes=1))
    checkin = await next_checkin(reporter)
    card = await rina.wait_for("Handled by: Bu Rina")
    await tap(rina, "✔️ Close", card)
    await tap(rina, "Handled and resolved")
    await open_notice(reporter, "Closed")  # the status notice
    await rina.wait_idle()

    # The check-in that came before: a clear answer, nothing changed.
    refused = await reporter.press(shown("en", OPEN), checkin)
    assert refused is not None and refused.show_alert and "closed" in (refused.text or "")
    forged = await reporter.press_data(
        followups.pack(followups.NOT_CONTACTED, report_id, 1), checkin.message_id
    )
    assert forged is not None and "closed" in (forged.text or "")
    jobs = await jobs_of(bot.service, report_id, followups.FOLLOWUP)
    assert all(job.done_at or job.cancelled for job in jobs)
    await advance(bot, clock, EVERY + timedelta(hours=1))
    await reporter.wait_idle()
    assert len(await outbox_rows(bot.service, report_id=report_id, kind="followup")) == 1
    assert "followup_answered" not in await audit_actions(bot.service, report_id)
    assert await outbox_rows(bot.service, report_id=report_id, kind="reporter_waiting") == []


async def test_late_forged_and_erased_presses_change_nothing(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    report_id, _code = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    await advance(bot, clock, timedelta(hours=2, minutes=1))
    first = await next_checkin(reporter)
    await advance(bot, clock, EVERY)
    second = await next_checkin(reporter)
    assert second.message_id != first.message_id

    late = await reporter.press(shown("en", OPEN), first)
    assert late is not None and late.show_alert and "newer message" in (late.text or "")
    stranger = emulator.user(STRANGER)
    sent = await stranger.send_text("halo")
    forged = await stranger.press_data(
        followups.pack(followups.NOT_CONTACTED, report_id, 2), sent["message_id"]
    )
    assert forged is not None and forged.text == shown("id", "This button is no longer active.")

    await reporter.send_command("/hapusdata")
    await tap(reporter, translate("en", "🗑 Yes, erase my data"))
    await reporter.wait_for(translate("en", "Your personal data has been erased")[:30])
    await reporter.wait_idle()
    gone = await reporter.press(shown("en", OPEN), second)
    # /hapusdata forgot their language too: the answer comes in the default one.
    assert gone is not None and gone.text == shown("id", "This button is no longer active.")

    async with bot.service.session_factory() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.followups_stopped and report.reporter_chat_id is None
        pending = await session.scalars(
            select(ScheduledJob).where(
                ScheduledJob.report_id == report_id,
                ScheduledJob.done_at.is_(None),
                ScheduledJob.cancelled.is_(False),
                ScheduledJob.kind == followups.FOLLOWUP,
            )
        )
        assert list(pending) == []
    actions = await audit_actions(bot.service, report_id)
    assert actions.count("followup_refused") == 3 and "followup_answered" not in actions
    assert await outbox_rows(bot.service, report_id=report_id, kind="reporter_waiting") == []


async def _unreachable(bot: RunningBot, user_id: int) -> bool:
    async with bot.service.session_factory() as session:
        user = await stored_user(session, user_id)
        return user is not None and user.unreachable_at is not None


async def test_a_reporter_who_blocked_the_bot_gets_no_more_followups(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    report_id, _ = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    reporter.block()
    await advance(bot, clock, timedelta(hours=2, minutes=1))
    # Either Telegram's my_chat_member update told the bot at once (nothing is sent), or the
    # sender meets a 403 and marks the reporter unreachable.
    for _ in range(100):
        rows = await outbox_rows(bot.service, report_id=report_id, kind="followup")
        if all(row.status != "pending" for row in rows) and await _unreachable(bot, REPORTER):
            break
        await reporter.wait_idle(quiet=0.05)
    assert len(rows) <= 1 and all(row.status == "dead" for row in rows)
    assert await _unreachable(bot, REPORTER)
    await advance(bot, clock, EVERY)
    await advance(bot, clock, EVERY)
    assert len(await outbox_rows(bot.service, report_id=report_id, kind="followup")) == len(rows)
    skipped = (await audit_actions(bot.service, report_id)).count("followup_skipped")
    assert skipped == 3 - len(rows)
    # Still answering everyone else.
    coordinator = emulator.user(COORDINATOR_ID)
    await coordinator.send_command("/kasus")
    await coordinator.wait_for("Open cases")


async def test_after_a_restart_each_due_followup_goes_out_once_in_order(
    settings: Settings, clock: ManualClock, emulator: BotAPIEmulator
) -> None:
    bot = await start_bot(settings, emulator, clock=clock)
    reporters = [6321, 6322, 6323]
    users = [emulator.user(r, first_name=f"R{r}", language_code="en") for r in reporters]
    emulator.user(COORDINATOR_ID, first_name="Koordinator")
    report_ids = []
    for reporter_id in reporters:
        report_id, _ = await file_report(bot.service, clock, "Menteng", reporter=reporter_id)
        report_ids.append(report_id)
        clock.advance(timedelta(minutes=10))
    await bot.stop()
    clock.advance(timedelta(hours=3))  # all three are due while the bot is down
    restarted = await start_bot(settings, emulator, clock=clock)
    try:
        for user in users:
            await next_checkin(user)
        await run_jobs(restarted)
        for user in users:
            await user.wait_idle()
            assert len(user.chat.bot_messages()) == 1, user.chat.transcript()
        async with restarted.service.session_factory() as session:
            rows = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == followups.FOLLOWUP)
                    .order_by(OutboxMessage.id)
                )
            )
        assert [row.report_id for row in rows] == report_ids
        assert all(row.status == "sent" for row in rows)
    finally:
        await restarted.stop()


async def test_a_forged_press_learns_nothing_of_the_report(
    bot: RunningBot, clock: ManualClock, reporter: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    """Report ids are sequential: whether a report is linked to some chat (contact consent) or
    to none, or does not exist, a press forged by someone else gets the same answer."""
    linked_id, _ = await file_report(bot.service, clock, "Kalampangan", reporter=REPORTER)
    unlinked_id, _ = await file_report(
        bot.service, clock, "Kalampangan", reporter=6304, consent=False
    )
    await advance(bot, clock, timedelta(hours=2, minutes=1))
    await next_checkin(reporter)
    stranger = emulator.user(STRANGER)
    sent = await stranger.send_text("halo")
    answers = set()
    for report_id, action in (
        (linked_id, followups.OPEN),
        (unlinked_id, followups.OPEN),
        (999999, followups.OPEN),
        (linked_id, followups.CONTACTED),
        (unlinked_id, followups.CONTACTED),
    ):
        forged = await stranger.press_data(followups.pack(action, report_id, 1), sent["message_id"])
        assert forged is not None
        answers.add(forged.text)
    assert answers == {shown("id", "This button is no longer active.")}
