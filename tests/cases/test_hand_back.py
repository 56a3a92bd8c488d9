"""An officer removed from the team, or from a kelurahan, while owning open cases: the cases go
back to the kelurahan as new alerts, and nothing of them reaches that person any more."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import alert_policy
from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services.cases import hand_back_cases
from services.clock import ManualClock
from services.officers import remove_kelurahan
from storage.models import AuditLog, Report
from storage.repositories.staff import StaffRepo
from tests.cases.staffing import add_officer, file_report, kelurahan_id, tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.clock import advance
from tests.staff.people import Person

RINA, JOKO, REPORTER = 3201, 3202, 3203


async def report_row(bot: RunningBot, report_id: int) -> Report:
    async with bot.service.session_factory() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        return report


def mentioning(user: SimulatedUser, code: str) -> list[BotMessage]:
    return [m for m in user.chat.bot_messages() if code in m.text]


async def taken_by_rina(bot: RunningBot, emulator: BotAPIEmulator) -> tuple[int, str, BotMessage]:
    for user_id in (RINA, JOKO, REPORTER):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, JOKO, "Kalampangan", name="Pak Joko")
    report_id, code = await file_report(
        bot.service, "Kalampangan", reporter_chat=REPORTER, consent=True
    )
    rina = emulator.user(RINA)
    alert = await rina.wait_for(code)
    await tap(rina, f"✅ Terima {code}", alert)
    card = await rina.wait_for("Ditangani")
    await emulator.user(JOKO).wait_for("diambil oleh Bu Rina")
    return report_id, code, card


async def test_a_removed_officers_case_goes_back_and_nothing_reaches_them(
    bot: RunningBot, emulator: BotAPIEmulator, clock: ManualClock
) -> None:
    report_id, code, card = await taken_by_rina(bot, emulator)
    rina, joko, reporter = emulator.user(RINA), emulator.user(JOKO), emulator.user(REPORTER)
    # She wrote to the reporter, who answers only after she has left the team.
    await tap(rina, "💬 Hubungi pelapor", card)
    await rina.wait_for("Tulis pesan")
    await rina.send_text("Apakah Anda aman?")
    await rina.wait_for("Terkirim")
    relayed = await reporter.wait_for("Apakah Anda aman?")

    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    listing = await coordinator.command("/petugas", expect="Officers")
    [button] = [b.text for row in listing.buttons for b in row if b.text.endswith("Bu Rina")]
    await coordinator.press(button)
    await coordinator.user.wait_for("On duty now")
    await coordinator.press("🗑 Remove this officer")
    confirm = await coordinator.user.wait_for("Remove Bu Rina as an officer?")
    assert "go back to their kelurahan" in confirm.text
    await coordinator.press("🗑 Yes, remove")
    done = await coordinator.user.wait_for("Bu Rina is no longer an officer")
    assert "went back to their kelurahan" in done.text and code in done.text

    report = await report_row(bot, report_id)
    assert (report.owner_id, report.status) == (None, "baru")
    # Alerted again, as a new report: whoever is on duty there can take it.
    again = await joko.wait_for(predicate=lambda m: m.button(f"✅ Terima {code}") is not None)
    assert "Dikembalikan" in again.text
    seen_by_rina = len(mentioning(rina, code))

    # The reporter's answer goes to the coordinators, not to her.
    await tap(reporter, "↩️ Balas", relayed)
    await reporter.wait_for("Tulis jawaban")
    await reporter.send_text("Saya aman, terima kasih.")
    answer = await coordinator.user.wait_for("Saya aman, terima kasih.")
    assert "No officer has the case now" in answer.text and code in answer.text
    assert not [m for m in rina.chat.bot_messages() if "Saya aman" in m.text]

    # Her old case card opens nothing and changes nothing now.
    refused = await rina.press("🛠 Ditangani", card)
    assert refused is not None and refused.show_alert
    assert (await report_row(bot, report_id)).status == "baru"

    # The escalation's reminders go to Joko, never to her.
    await advance(bot, clock, bot.service.settings.ack_timeout)
    await joko.wait_for("Pengingat 1")
    assert len(mentioning(rina, code)) == seen_by_rina

    await tap(joko, f"✅ Terima {code}", again)
    await joko.wait_for("Ditangani")
    report = await report_row(bot, report_id)
    assert (report.owner_id, report.status) == (JOKO, "diterima")
    async with bot.service.session_factory() as session:
        handed = list(
            await session.scalars(
                select(AuditLog.actor_id).where(AuditLog.action == "case_handed_back")
            )
        )
    assert handed == [COORDINATOR_ID]


async def test_an_officer_moved_off_a_kelurahan_loses_its_cases(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    report_id, code, card = await taken_by_rina(bot, emulator)
    kalampangan, _ = await kelurahan_id(bot.service, "Kalampangan")
    menteng, _ = await kelurahan_id(bot.service, "Menteng")
    service = bot.service
    async with service.session_factory() as session, session.begin():
        assert await StaffRepo(session).bind(RINA, menteng)
        assert await remove_kelurahan(session, RINA, kalampangan, actor_id=COORDINATOR_ID)
        codes = await hand_back_cases(
            session, RINA, alert_policy(service.settings), service.clock.now(),
            actor_id=COORDINATOR_ID, kelurahan_ids=[kalampangan],
        )  # fmt: skip
    service.sender.wake()
    assert codes == [code]
    joko = emulator.user(JOKO)
    await joko.wait_for(predicate=lambda m: m.button(f"✅ Terima {code}") is not None)
    # Still an officer (of Menteng, another kecamatan): Kalampangan's case is closed to her.
    rina = emulator.user(RINA)
    refused = await rina.press("🛠 Ditangani", card)
    assert refused is not None and refused.show_alert
    # Alerted once, but Terima again (the case is free) is refused: not her area any more.
    take = await rina.press_data(f"k:take:{report_id}:", card.message_id)
    assert take is not None and take.show_alert
    # Nor does /kasus list it for her; Joko's lists it.
    await rina.send_command("/kasus")
    listing = await rina.wait_for("Tidak ada kasus terbuka")
    assert code not in listing.text
    await joko.send_command("/kasus")
    assert code in (await joko.wait_for("Kasus terbuka")).text
    report = await report_row(bot, report_id)
    assert (report.owner_id, report.status) == (None, "baru")
