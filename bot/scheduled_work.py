"""Follow-ups, notices held through the quiet hours, officer reminders and the daily digest,
plugged into the job worker.

The rules live in services/ (followups.py, reminders.py, digest.py); here they get their
settings and the rules' clock (tests move it), and the first digest is scheduled at start-up.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.jobs import JobRunner
from services.clock import Clock
from services.digest import DIGEST, DigestPolicy, run_digest, schedule_next_digest
from services.followups import FOLLOWUP, FollowupPolicy, run_followup
from services.notices import NOTICE_JOB, run_notice
from services.reminders import REMIND, ReminderPolicy, run_reminder
from storage.db import write_transaction
from storage.models import ScheduledJob


def followup_policy(settings: Settings) -> FollowupPolicy:
    return FollowupPolicy(
        first_after=settings.followup_after,
        every=settings.followup_every,
        quiet_hours=settings.quiet_hours,
        timezone=settings.timezone,
    )


def reminder_policy(settings: Settings) -> ReminderPolicy:
    return ReminderPolicy(after=settings.officer_reminder_after)


def digest_policy(settings: Settings) -> DigestPolicy:
    return DigestPolicy(
        at=settings.digest_time,
        timezone=settings.timezone,
        ack_timeout=settings.ack_timeout,
        urgent_ack_timeout=settings.urgent_ack_timeout,
        reminder_after=settings.officer_reminder_after,
    )


def register_scheduled_work(jobs: JobRunner, settings: Settings, clock: Clock) -> None:
    followups = followup_policy(settings)
    reminders = reminder_policy(settings)
    digests = digest_policy(settings)

    async def followup(session: AsyncSession, job: ScheduledJob) -> None:
        await run_followup(session, job, followups, clock.now())

    async def reminder(session: AsyncSession, job: ScheduledJob) -> None:
        await run_reminder(session, job, reminders, clock.now())

    async def digest(session: AsyncSession, job: ScheduledJob) -> None:
        await run_digest(session, job, digests, clock.now())

    async def notice(session: AsyncSession, job: ScheduledJob) -> None:
        await run_notice(session, job, followups.quiet, clock.now())

    jobs.register(FOLLOWUP, followup)
    jobs.register(REMIND, reminder)
    jobs.register(DIGEST, digest)
    jobs.register(NOTICE_JOB, notice)


async def schedule_daily_digest(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
) -> None:
    """Make sure the next digest is scheduled (a no-op when it is, e.g. by another instance)."""
    async with write_transaction(session_factory) as session:
        await schedule_next_digest(session, digest_policy(settings), clock.now())
