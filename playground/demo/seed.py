"""Demo data: the three people on the page, the officer's duty roster, and past cases.

Written straight into the database through the same services the bot uses (submit_report,
add_shift, the status history), so the officer's /kasus and the coordinator's /statistik have
something to show from the first minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.report_draft import Draft
from services.reporting import submit_report
from services.roster import MINUTES_PER_DAY, add_shift
from storage.models import Kelurahan, Report, ReportStatusChange, User, utcnow
from storage.repositories import Repo
from storage.repositories.gazetteer import kelurahan_named


@dataclass(frozen=True)
class Persona:
    """One column of the page: who it is in the emulator and what the page calls it."""

    key: str
    title: str
    user_id: int
    first_name: str
    last_name: str | None
    phone: str
    language: str


RESIDENT = Persona("resident", "Resident", 5001, "Siti", "Rahma", "+6281234500501", "id")
OFFICER = Persona("officer", "Duty officer", 3101, "Rina", "Lestari", "+6281234503101", "id")
COORDINATOR = Persona(
    "coordinator", "Coordinator", 900001, "Andi", "Pratama", "+6281234900001", "id"
)
PERSONAS = (RESIDENT, OFFICER, COORDINATOR)

# Only the people on the page: every alert, escalation and notice lands in a chat you can see
# (an officer the page does not show had no chat in the emulator, so every report routed to
# them came back to the coordinator as a dead letter). Bu Rina serves Kalampangan around the
# clock; reports anywhere else find nobody on duty and go to Pak Andi, the coordinator.
# (user id, display name, kelurahan, weekly shift (start, end) minutes or None = all day)
OFFICERS: tuple[tuple[int, str, str, tuple[int, int] | None], ...] = (
    (OFFICER.user_id, "Bu Rina", "Kalampangan", None),
)

# (kelurahan, category, victim, age, description, status, owner, days ago, partner, outcome)
PAST_CASES: tuple[tuple[str, str, str, str, str, str, int, int, str | None, str | None], ...] = (
    (
        "Kalampangan", "psychological", "adult_woman", "25-44",
        "Seorang ibu sering dibentak dan diancam oleh suaminya di depan anak-anak.",
        "ditangani", OFFICER.user_id, 2, None, None,
    ),
    (
        "Kalampangan", "neglect", "boy", "0-5",
        "Balita sering ditinggal sendirian di rumah sampai malam.",
        "dirujuk", OFFICER.user_id, 5, "uptd_ppa", None,
    ),
    (
        "Kalampangan", "physical", "girl", "6-12",
        "Anak tetangga terlihat memar di lengan beberapa kali.",
        "selesai", OFFICER.user_id, 9, None, "resolved",
    ),
    # Where nobody serves, the coordinator took the case (routing's last level).
    (
        "Menteng", "trafficking", "adult_woman", "18-24",
        "Ada tawaran kerja ke luar kota yang mencurigakan untuk remaja putri.",
        "diterima", COORDINATOR.user_id, 1, None, None,
    ),
    (
        "Langkai", "sexual", "girl", "13-17",
        "Siswi diganggu orang dewasa di jalan pulang sekolah.",
        "selesai", COORDINATOR.user_id, 14, "uppa", "referred",
    ),
)  # fmt: skip

# What only some categories ask (services/report_draft.py): the past cases answer it too.
_CATEGORY_ANSWERS: dict[str, dict[str, str]] = {
    "trafficking": {"recruitment": "job_offer", "border": "unknown"},
    "child_in_conflict": {"child_role": "witness"},
}

# The order a case moves through, so the seeded history reads like a real one.
_PATH = ("diterima", "ditangani", "dirujuk", "selesai")


async def _kelurahan(session: AsyncSession, name: str) -> Kelurahan:
    row = await kelurahan_named(session, name)
    if row is None:
        raise LookupError(f"kelurahan {name!r} is not in the gazetteer")
    return row


async def _staff(session: AsyncSession) -> None:
    now = utcnow()
    for persona in PERSONAS:
        user = await session.get(User, persona.user_id)
        if user is None:
            user = User(id=persona.user_id, created_at=now)
            session.add(user)
        user.language = persona.language
        if persona is COORDINATOR:
            user.role = "coordinator"
            user.display_name = "Pak Andi"
    for user_id, name, _, _ in OFFICERS:
        user = await session.get(User, user_id)
        if user is None:
            user = User(id=user_id, created_at=now, language="id")
            session.add(user)
        user.role = "officer"
        user.display_name = name
    await session.flush()
    for user_id, _, kelurahan_name, hours in OFFICERS:
        kelurahan = await _kelurahan(session, kelurahan_name)
        start, end = hours or (0, MINUTES_PER_DAY)
        for weekday in range(7):
            await add_shift(
                session,
                kelurahan_id=kelurahan.id,
                officer_id=user_id,
                weekday=weekday,
                start_minute=start,
                end_minute=end,
                actor_id=COORDINATOR.user_id,
            )


async def _past_cases(session: AsyncSession) -> None:
    repo = Repo.over(session)
    now = utcnow()
    for number, case in enumerate(PAST_CASES):
        kelurahan_name, category, victim, age, text, status, owner, days, partner, outcome = case
        kelurahan = await _kelurahan(session, kelurahan_name)
        created = now - timedelta(days=days, hours=number)
        draft = Draft(
            urgent=False,
            relation="witness",
            category=category,
            victim=victim,
            victim_age=age,
            kecamatan_id=kelurahan.kecamatan_id,
            kelurahan_id=kelurahan.id,
            occurred="this_week",
            description_parts=[text],
            anonymous=True,
            # No link to any chat: follow-ups of made-up cases must not reach the page's
            # resident, who did not file them.
            consent=False,
        )
        for question, answer in _CATEGORY_ANSWERS.get(category, {}).items():
            setattr(draft, question, answer)
        submitted = await submit_report(repo, draft, chat_id=0, language="id", now=created)
        report: Report = submitted.report
        step = timedelta(hours=3)
        at = created
        for reached in _PATH[: _PATH.index(status) + 1]:
            if reached == "dirujuk" and status != "dirujuk" and partner is None:
                continue  # a case closed without a referral never was "dirujuk"
            at += step
            session.add(
                ReportStatusChange(report_id=report.id, status=reached, at=at, actor_id=owner)
            )
        report.status = status
        report.owner_id = owner
        report.acknowledged_at = created + step
        report.updated_at = at
        report.referral_partner = partner
        if status == "selesai":
            report.closed_at = at
            report.outcome = outcome


async def seed(session: AsyncSession) -> None:
    """Fill a freshly migrated database (the caller commits)."""
    await _staff(session)
    await _past_cases(session)
