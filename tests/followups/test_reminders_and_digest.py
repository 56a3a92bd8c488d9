"""Reminders for officers whose case went quiet, and the coordinators' daily digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import alert_policy
from bot.jobs import JobRunner
from bot.scheduled_work import register_scheduled_work, schedule_daily_digest
from playground.emulator import BotAPIEmulator, SimulatedUser
from services.cases import add_note, set_status, take_case
from services.clock import ManualClock
from services.digest import DIGEST
from services.reminders import REMIND
from storage.models import Report, ScheduledJob
from tests.cases.staffing import tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.clock import advance, run_jobs
from tests.followups.conftest import START
from tests.followups.helpers import (
    add_officer,
    file_report,
    jobs_of,
    outbox_rows,
    speak_english,
)

RINA, SARI = 6401, 6402  # Kalampangan (Sabangau), Menteng (Jekan Raya)
REPORTER = 6403


@pytest.fixture
async def coordinator(
    bot: RunningBot, emulator: BotAPIEmulator, clock: ManualClock
) -> SimulatedUser:
    for user_id in (RINA, SARI, REPORTER):
        emulator.user(user_id, first_name=f"U{user_id}", language_code="en")
    await add_officer(bot.service, clock, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, clock, SARI, "Menteng", name="Bu Sari")
    await speak_english(bot.service, COORDINATOR_ID)
    return emulator.user(COORDINATOR_ID, first_name="Koordinator", language_code="en")


async def test_a_silent_officer_is_reminded_then_the_coordinators_hear(
    bot: RunningBot, clock: ManualClock, coordinator: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    _report_id, code = await file_report(
        bot.service, clock, "Kalampangan", reporter=REPORTER, consent=False
    )
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Accept {code}", await rina.wait_for(code))
    await rina.wait_for("Handled by: Bu Rina")
    await rina.wait_idle()
    await advance(bot, clock, timedelta(hours=47))
    assert await outbox_rows(bot.service, kind="case_reminder") == []
    await advance(bot, clock, timedelta(hours=1))
    reminder = await rina.wait_for("has had no update for 2 days")
    assert code in reminder.text
    await tap(rina, f"📁 Open {code}", reminder)
    await rina.wait_for(f"Case {code}")

    await advance(bot, clock, timedelta(hours=47))
    assert len(await outbox_rows(bot.service, kind="case_reminder")) == 1
    await advance(bot, clock, timedelta(hours=1))
    told = await coordinator.wait_for("even after a reminder to the officer")
    assert code in told.text and "Bu Rina" in told.text and "4 days" in told.text
    assert told.button(f"📁 Open {code}") is not None
    await advance(bot, clock, timedelta(days=10))
    rows = await outbox_rows(bot.service, kind="case_reminder")
    assert sorted(row.recipient_id for row in rows) == sorted([RINA, COORDINATOR_ID])


async def test_a_note_or_a_status_change_arms_the_reminder_again(
    bot: RunningBot, clock: ManualClock, coordinator: SimulatedUser, emulator: BotAPIEmulator
) -> None:
    report_id, code = await file_report(
        bot.service, clock, "Kalampangan", reporter=REPORTER, consent=False
    )
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Accept {code}", await rina.wait_for(code))
    await rina.wait_for("Handled by: Bu Rina")
    await rina.wait_idle()
    await advance(bot, clock, timedelta(hours=40))
    async with bot.service.session_factory() as session, session.begin():
        await add_note(session, report_id, RINA, "Sudah berkunjung.", clock.now())
    await advance(bot, clock, timedelta(hours=10))  # 50 h after Terima, 10 h after the note
    assert await outbox_rows(bot.service, kind="case_reminder") == []
    await advance(bot, clock, timedelta(hours=38))  # 48 h after the note
    await rina.wait_for("has had no update for 2 days")
    stale = [job for job in await jobs_of(bot.service, report_id, REMIND) if job.cancelled]
    assert stale, "the chain counted from Terima was cancelled by the note"

    async with bot.service.session_factory() as session, session.begin():
        await set_status(session, report_id, RINA, "selesai", clock.now(), None, outcome="resolved")
    await advance(bot, clock, timedelta(days=10))
    assert len(await outbox_rows(bot.service, kind="case_reminder")) == 1, "closed: no more"


async def _take(bot: RunningBot, report_id: int, officer: int, at: datetime) -> None:
    async with bot.service.session_factory() as session, session.begin():
        await take_case(session, report_id, officer, at, None)


async def _close(bot: RunningBot, report_id: int, officer: int, at: datetime) -> None:
    async with bot.service.session_factory() as session, session.begin():
        await set_status(session, report_id, officer, "selesai", at, None, outcome="resolved")


async def test_the_daily_digest_counts_what_the_database_holds(
    bot: RunningBot, clock: ManualClock, coordinator: SimulatedUser
) -> None:
    service = bot.service
    hour = timedelta(hours=1)
    # Older cases: E closed long ago; F taken by the coordinator on Friday, silent since.
    clock.set(START - timedelta(days=2))
    e_id, _ = await file_report(service, clock, "Palangka", reporter=REPORTER, consent=False)
    await _close(bot, e_id, COORDINATOR_ID, clock.now() + 2 * hour)
    clock.set(START - timedelta(days=3))
    f_id, _ = await file_report(service, clock, "Pahandut", reporter=REPORTER, consent=False)
    await _take(bot, f_id, COORDINATOR_ID, clock.now() + hour)
    # Monday 10:00 WIB on: A taken after 30 min, B never, C (urgent) taken after an hour and
    # closed, D filed at 06:30 on Tuesday, half an hour before the digest.
    clock.set(START)
    a_id, _ = await file_report(service, clock, "Kalampangan", reporter=REPORTER, consent=False)
    await _take(bot, a_id, RINA, START + hour / 2)
    clock.set(START + hour)
    await file_report(service, clock, "Menteng", reporter=REPORTER, consent=False)
    clock.set(START + 2 * hour)
    c_id, _ = await file_report(
        service, clock, "Kalampangan", reporter=REPORTER, consent=False, urgent=True
    )
    await _take(bot, c_id, RINA, START + 3 * hour)
    await _close(bot, c_id, RINA, START + 4 * hour)
    clock.set(START + timedelta(hours=20, minutes=30))
    await file_report(service, clock, "Menteng", reporter=REPORTER, consent=False)

    # A second instance with the same jobs: still exactly one digest.
    other = JobRunner(service.session_factory, clock, alert_policy(service.settings))
    register_scheduled_work(other, service.settings, clock)
    await schedule_daily_digest(service.session_factory, service.settings, clock)
    seven = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # Tuesday 07:00 WIB
    clock.set(seven)
    if service.engine.dialect.name == "postgresql":
        await asyncio.gather(other.run_due(), service.jobs.run_due())
    else:  # one instance only on SQLite: the two simply take turns
        await other.run_due()
    await run_jobs(bot)

    digest = await coordinator.wait_for("Daily digest, 03-03-2026")
    lines = digest.text.splitlines()
    expected = [
        "New reports (last 24 h): 4",
        "Not yet accepted: 2",
        "Overdue: 2",
        "Closed (last 24 h): 1",
        "Median time to accept: 45 minutes",
        "• Pahandut: 0 new, 0 not accepted, 1 overdue, 0 closed, median –",
        "• Jekan Raya: 2 new, 2 not accepted, 1 overdue, 0 closed, median –",
        "• Sabangau: 2 new, 0 not accepted, 0 overdue, 1 closed, median 45 minutes",
        "• Bukit Batu: 0 new, 0 not accepted, 0 overdue, 0 closed, median –",
    ]
    for line in expected:
        assert line in lines, digest.text

    # The same numbers, straight from the database.
    day_ago = seven - timedelta(hours=24)
    async with service.session_factory() as session:
        new = await session.scalar(
            select(func.count()).select_from(Report).where(Report.created_at > day_ago)
        )
        waiting = await session.scalar(
            select(func.count())
            .select_from(Report)
            .where(Report.owner_id.is_(None), Report.status != "selesai")
        )
        closed = await session.scalar(
            select(func.count()).select_from(Report).where(Report.closed_at > day_ago)
        )
        acked = list(
            await session.execute(
                select(Report.created_at, Report.acknowledged_at).where(
                    Report.acknowledged_at > day_ago
                )
            )
        )
        digests = list(
            await session.scalars(
                select(ScheduledJob).where(ScheduledJob.kind == DIGEST).order_by(ScheduledJob.key)
            )
        )
    assert (new, waiting, closed) == (4, 2, 1)
    assert sorted((ack - created) for created, ack in acked) == [hour / 2, hour]
    assert [job.key for job in digests] == ["digest:2026-03-03", "digest:2026-03-04"]
    assert digests[0].done_at is not None and digests[1].due_at == seven + timedelta(days=1)
    await coordinator.wait_idle()
    sent = await outbox_rows(service, kind=DIGEST)
    assert [row.recipient_id for row in sent] == [COORDINATOR_ID]
