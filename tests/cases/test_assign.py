"""A coordinator hands a case to the officer they choose, and the reporter hears, discreetly,
when their case changes hands (handed to another officer, or handed back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import alert_policy
from bot.config import Settings
from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services.cases import hand_back_cases
from storage.models import AuditLog, Report
from tests.cases.staffing import add_officer, file_report, tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot, make_settings
from tests.fixtures.timeline import until
from tests.followups.helpers import open_notice
from tests.translations import translate

RINA, JOKO, SARI, REPORTER = 3181, 3182, 3183, 3184


@pytest.fixture
def settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    # No quiet hours: the reporter's notices go at once, whatever the time of the run.
    return make_settings(
        emulator, database_url, job_tick=timedelta(milliseconds=200), quiet_hours=None
    )


def t(msgid: str) -> str:
    return translate("id", msgid)


async def taken_by_rina(bot: RunningBot, emulator: BotAPIEmulator) -> tuple[int, str, BotMessage]:
    for user_id in (RINA, JOKO, SARI, REPORTER, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, JOKO, "Kalampangan", name="Pak Joko", on_duty=False)
    await add_officer(bot.service, SARI, "Menteng", name="Bu Sari")  # another kecamatan
    report_id, code = await file_report(
        bot.service, "Kalampangan", reporter_chat=REPORTER, consent=True
    )
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Terima {code}", await rina.wait_for(code))
    card = await rina.wait_for(t("Handled by: {name}").split("{")[0])
    await open_notice(emulator.user(REPORTER), t("Taken by an officer"), "id")
    return report_id, code, card


async def coordinators_card(coordinator: SimulatedUser, code: str) -> BotMessage:
    await coordinator.send_command("/kasus")
    listing = await coordinator.wait_for(t("<b>Open cases ({count})</b>")[3:10])
    await tap(coordinator, code, listing)
    return await coordinator.wait_for(code, predicate=lambda m: m.message_id == listing.message_id)


async def test_a_coordinator_hands_a_case_to_the_officer_they_choose(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """Cases only went back to the kelurahan's officers on duty (Joko is off duty here)."""
    report_id, code, rina_card = await taken_by_rina(bot, emulator)
    coordinator, joko = emulator.user(COORDINATOR_ID), emulator.user(JOKO)
    card = await coordinators_card(coordinator, code)
    await tap(coordinator, t("👥 Hand to an officer"), card)
    officers = await coordinator.wait_for(
        predicate=lambda m: m.message_id == card.message_id and m.button("Pak Joko") is not None
    )
    names = [b.text for row in officers.buttons for b in row]
    assert "Bu Rina" not in names, "she has it already"
    assert not [name for name in names if "Sari" in name], "Menteng is another kecamatan"
    answer = await coordinator.press("Pak Joko", officers)
    assert answer is not None and "Pak Joko" in (answer.text or "")

    handed = await joko.wait_for(code)
    assert "menyerahkan kasus ini kepada Anda" in handed.text
    await tap(joko, t("🛠 Handling"), handed)
    await joko.wait_for(f"Status: {t('Being handled')}")
    async with bot.service.session_factory() as session:
        report = await session.get(Report, report_id)
        assert report is not None and (report.owner_id, report.status) == (JOKO, "ditangani")
        assigned = await session.scalar(select(AuditLog).where(AuditLog.action == "case_assigned"))
    assert assigned is not None and assigned.actor_id == COORDINATOR_ID

    # Rina's card follows: handled by Joko now, and no buttons of an owner.
    async def rina_sees_joko() -> bool:
        now = next(
            m for m in emulator.user(RINA).chat.messages if m.message_id == rina_card.message_id
        )
        return "Pak Joko" in now.text and now.button(t("🛠 Handling")) is None

    await until(rina_sees_joko, "Rina's card to name Pak Joko", within=5)
    # The reporter is told another officer has it, never who.
    notice = await open_notice(
        emulator.user(REPORTER), t("Another officer now handles your report."), "id"
    )
    assert "Joko" not in notice.text and "Rina" not in notice.text


async def test_the_reporter_hears_when_their_case_is_handed_back(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    _report_id, code, _card = await taken_by_rina(bot, emulator)
    service = bot.service
    async with service.session_factory() as session, session.begin():
        codes = await hand_back_cases(
            session, RINA, alert_policy(service.settings), service.clock.now(),
            actor_id=COORDINATOR_ID,
        )  # fmt: skip
    service.sender.wake()
    assert codes == [code]
    notice = await open_notice(emulator.user(REPORTER), "menunggu petugas baru", "id")
    assert code in notice.text and "Rina" not in notice.text
