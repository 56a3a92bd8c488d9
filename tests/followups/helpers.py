"""Reports, officers and time for the follow-up tests, all on the rules' (manual) clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import Service, alert_policy
from bot.scheduled_work import followup_policy
from services.alerting import dispatch_new_report
from services.clock import ManualClock
from services.followups import schedule_first_followup
from services.reporting import submit_report
from storage.models import AuditLog, DutyOverride, OfficerArea, OutboxMessage, ScheduledJob
from storage.repositories import Repo
from storage.repositories.users import UserRepo
from tests.cases.staffing import kelurahan_id
from tests.fixtures.drafts import finished_draft
from tests.translations import translate

# English msgids of what the reporter sees (see shown()).
HELLO = "👋 Hello, we have news for you. Press the button below when you have a moment."
OPEN = "📩 Open"
CONTACTED = "✅ I have been contacted"
NOBODY = "⏳ Nobody has contacted me"
HELP = "🆘 I need help now"
STOP = "🔕 Stop reminding me"


def shown(language: str, msgid: str) -> str:
    """What a user of `language` reads for `msgid`: its translation once there is one, the
    English msgid until then (new messages are shown untranslated until the lead translates)."""
    try:
        return translate(language, msgid)
    except KeyError:
        return msgid


async def add_officer(
    service: Service, clock: ManualClock, user_id: int, kelurahan: str, *, name: str
) -> None:
    """An English-speaking officer on duty for a month of the manual clock."""
    kel_id, _ = await kelurahan_id(service, kelurahan)
    now = clock.now()
    async with service.session_factory() as session, session.begin():
        user, _ = await UserRepo(session).become_staff(user_id, "officer")
        user.role = "officer"
        user.language = "en"
        user.display_name = name
        await session.flush()
        session.add(OfficerArea(officer_id=user_id, kelurahan_id=kel_id))
        session.add(DutyOverride(officer_id=user_id, on_duty=True, until=now + timedelta(days=30)))


async def speak_english(service: Service, *user_ids: int) -> None:
    async with service.session_factory() as session, session.begin():
        repo = Repo.over(session)
        for user_id in user_ids:
            await repo.users.set_language(user_id, "en")


async def file_report(
    service: Service,
    clock: ManualClock,
    kelurahan: str,
    *,
    reporter: int,
    consent: bool = True,
    language: str = "en",
    urgent: bool = False,
) -> tuple[int, str]:
    """A report as conversations/report/submit.py stores it: routed, and its first follow-up
    scheduled, in one transaction. The reporter has talked to the bot (they have a user row)."""
    kel_id, kec_id = await kelurahan_id(service, kelurahan)
    draft = finished_draft(
        kel_id,
        kec_id,
        urgent=urgent,
        relation="victim",
        category="psychological",
        victim="adult_woman",
        victim_age="25-44",
        description_parts=["Suami saya mengancam saya setiap malam."],
        consent=consent,
    )
    async with service.session_factory() as session, session.begin():
        repo = Repo.over(session)
        user = await repo.users.seen(reporter, clock.now())
        user.language = language
        submitted = await submit_report(
            repo, draft, chat_id=reporter, language=language, now=clock.now()
        )
        await dispatch_new_report(
            session, submitted.report.id, alert_policy(service.settings), clock.now()
        )
        await schedule_first_followup(session, submitted.report, followup_policy(service.settings))
    service.sender.wake()
    return submitted.report.id, submitted.report.code


async def jobs_of(service: Service, report_id: int, kind: str) -> list[ScheduledJob]:
    async with service.session_factory() as session:
        rows = await session.scalars(
            select(ScheduledJob)
            .where(ScheduledJob.report_id == report_id, ScheduledJob.kind == kind)
            .order_by(ScheduledJob.id)
        )
        return list(rows)


async def audit_actions(service: Service, report_id: int) -> list[str]:
    async with service.session_factory() as session:
        rows = await session.scalars(
            select(AuditLog.action).where(AuditLog.report_id == report_id).order_by(AuditLog.id)
        )
        return list(rows)


async def outbox_rows(service: Service, **where: Any) -> list[OutboxMessage]:
    async with service.session_factory() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(await session.scalars(query))
