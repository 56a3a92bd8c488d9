"""Reports, officers and time for the follow-up tests, all on the rules' (manual) clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import Service, alert_policy
from bot.scheduled_work import followup_policy
from playground.emulator import BotMessage, SimulatedUser
from services import followups
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


def is_checkin(message: BotMessage) -> bool:
    """A follow-up check-in, not a notice: both show the same neutral line and Open."""
    prefix = f"{followups.PREFIX}:"
    return any((b.callback_data or "").startswith(prefix) for row in message.buttons for b in row)


async def next_checkin(user: SimulatedUser, language: str = "en") -> BotMessage:
    return await user.wait_for(shown(language, HELLO), predicate=is_checkin)


async def open_notice(user: SimulatedUser, text: str, language: str = "en") -> BotMessage:
    """Open the user's unopened discreet notices (status updates, an officer's words) in
    order, waiting for more, until one shows `text`; that one, opened."""
    hello = shown(language, HELLO)
    while True:
        unopened = [m for m in user.chat.bot_messages() if m.text == hello and not is_checkin(m)]
        if not unopened:
            await user.wait_for(hello, predicate=lambda message: not is_checkin(message))
            continue
        notice = unopened[0]
        await user.press(shown(language, OPEN), notice)
        pressed = notice.message_id
        opened = await user.wait_for(predicate=lambda m, pressed=pressed: m.message_id == pressed)
        if text in opened.text:
            return opened


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
