"""Set up officers and reports directly in the database, for the alert and case tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import Service, alert_policy
from playground.emulator import BotMessage, SimulatedUser
from services.alerting import dispatch_new_report
from services.report_draft import Attachment
from services.reporting import submit_report
from storage.models import DutyOverride, Kelurahan, OfficerArea, utcnow
from storage.repositories import Repo
from storage.repositories.users import UserRepo
from tests.conversations.resident import when_shown
from tests.fixtures.drafts import finished_draft
from tests.fixtures.timeline import until


async def kelurahan_id(service: Service, name: str) -> tuple[int, int]:
    async with service.session_factory() as session:
        row = await session.scalar(select(Kelurahan).where(Kelurahan.name == name))
        assert row is not None, name
        return row.id, row.kecamatan_id


async def started(service: Service, user_id: int) -> None:
    """Wait until the user's /start has committed (their user row is there): adding them as
    staff before that would race the update that creates the row."""

    async def seen() -> bool:
        async with service.session_factory() as session:
            return await UserRepo(session).by_telegram_id(user_id) is not None

    await until(seen, f"user {user_id}'s /start", within=5)


async def add_officer(
    service: Service, user_id: int, kelurahan: str, *, name: str, on_duty: bool = True
) -> None:
    kel_id, _ = await kelurahan_id(service, kelurahan)
    async with service.session_factory() as session, session.begin():
        # As an invitation does: someone who talked to the bot moves to a staff row.
        user, _ = await UserRepo(session).become_staff(user_id, "officer")
        user.role = "officer"
        user.display_name = name
        await session.flush()
        session.add(OfficerArea(officer_id=user_id, kelurahan_id=kel_id))
        session.add(
            DutyOverride(officer_id=user_id, on_duty=on_duty, until=utcnow() + timedelta(days=1))
        )


async def file_report(
    service: Service,
    kelurahan: str,
    *,
    urgent: bool = False,
    description: str = "Tetangga memukul anaknya setiap malam.",
    reporter_chat: int = 7777,
    consent: bool = False,
    evidence: list[Attachment] | None = None,
    location: bool = False,
) -> tuple[int, str]:
    """A report as the conversation would store it, routed in the same transaction."""
    kel_id, kec_id = await kelurahan_id(service, kelurahan)
    draft = finished_draft(
        kel_id,
        kec_id,
        urgent=urgent,
        description_parts=[description],
        evidence=evidence or [],
        consent=consent,
        location={"latitude": -2.21, "longitude": 113.92} if location else None,
    )
    async with service.session_factory() as session, session.begin():
        submitted = await submit_report(
            Repo.over(session), draft, chat_id=reporter_chat, language="id"
        )
        await dispatch_new_report(
            session, submitted.report.id, alert_policy(service.settings), service.clock.now()
        )
    service.sender.wake()
    return submitted.report.id, submitted.report.code


async def tap(user: SimulatedUser, text: str, message: BotMessage | None = None) -> object:
    """Press a button as soon as it is on the screen (edits arrive a moment after an answer)."""
    return await when_shown(lambda: user.press(text, message=message))
