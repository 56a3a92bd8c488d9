"""Terima, the race for it, status changes, notes and the relay, over HTTP."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import func, select

from playground.emulator import BotAPIEmulator
from storage.identity import pseudonym
from storage.models import AuditLog, CaseNote, Report
from tests.cases.staffing import add_officer, file_report, tap
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import until
from tests.followups.helpers import open_notice
from tests.translations import translate

RINA, JOKO, SARI = 3101, 3102, 3103


async def two_officers(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    for user_id in (RINA, JOKO, SARI, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, JOKO, "Kalampangan", name="Pak Joko")
    await add_officer(bot.service, SARI, "Menteng", name="Bu Sari")


async def report_row(bot: RunningBot, report_id: int) -> Report:
    async with bot.service.session_factory() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        return report


async def test_concurrent_terima_has_exactly_one_winner(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await two_officers(bot, emulator)
    report_id, code = await file_report(bot.service, "Kalampangan")
    rina, joko = emulator.user(RINA), emulator.user(JOKO)
    rina_alert = await rina.wait_for(code)
    joko_alert = await joko.wait_for(code)
    answers = await asyncio.gather(
        rina.press(f"✅ Terima {code}", message=rina_alert),
        joko.press(f"✅ Terima {code}", message=joko_alert),
    )
    texts = sorted(a.text for a in answers if a is not None)
    assert len(texts) == 2
    assert sum("Sudah diambil oleh" in t for t in texts) == 1, texts
    report = await report_row(bot, report_id)
    assert report.owner_id in (RINA, JOKO) and report.status == "diterima"
    loser = joko if report.owner_id == RINA else rina
    winner_name = "Bu Rina" if report.owner_id == RINA else "Pak Joko"
    edited = await loser.wait_for(f"diambil oleh {winner_name}")
    assert edited.buttons == [] or all(
        f"Terima {code}" not in b.text for row in edited.buttons for b in row
    )


async def test_officer_of_another_kelurahan_and_residents_are_refused(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    await two_officers(bot, emulator)
    report_id, code = await file_report(bot.service, "Kalampangan")
    await emulator.user(RINA).wait_for(code)
    sari = emulator.user(SARI)
    sent = await sari.send_text("halo")  # gives Sari a message id to attach the forged press to
    refused = await sari.press_data(f"k:take:{report_id}:", sent["message_id"])
    assert refused is not None and refused.show_alert
    await resident.start()
    forged = await resident.user.press_data(f"k:take:{report_id}:", sent["message_id"])
    assert forged is not None and forged.show_alert
    also = await resident.user.press_data(f"k:close:{report_id}:", sent["message_id"])
    assert also is not None and also.show_alert
    report = await report_row(bot, report_id)
    assert report.owner_id is None and report.status == "baru"
    async with bot.service.session_factory() as session:
        refusals = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action.like("%refused"))
        )
    assert refusals == 3


async def test_status_changes_reach_the_reporter_and_relay_hides_identities(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    await two_officers(bot, emulator)
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tolong, ibu saya dipukul.")
    await resident.finish_anonymously(consent=True)
    code = await resident.send()

    rina = emulator.user(RINA)
    alert = await rina.wait_for(code)
    await tap(rina, f"✅ Terima {code}", alert)
    card = await rina.wait_for("Ditangani")
    notice = await open_notice(resident.user, "Sudah diterima petugas", "id")
    assert code in notice.text and "Rina" not in notice.text

    await tap(rina, "🛠 Ditangani")
    await open_notice(resident.user, "Sedang ditangani", "id")

    await tap(rina, "💬 Hubungi pelapor")
    await rina.wait_for("Tulis pesan")
    await rina.send_text("Apakah Anda aman? <saya> & tim siap membantu.")
    await rina.wait_for("Terkirim")
    relayed = await open_notice(resident.user, "Apakah Anda aman?", "id")
    assert "<saya> & tim" in relayed.text
    assert "Rina" not in relayed.text and str(RINA) not in relayed.text
    assert relayed.forward_origin is None

    await tap(resident.user, "↩️ Balas", relayed)
    await resident.user.wait_for("Tulis jawaban")
    await resident.user.send_text("Saya aman sekarang, terima kasih.")
    answer = await rina.wait_for("Saya aman sekarang")
    assert "Siti" not in answer.text and str(resident.user.id) not in answer.text

    await tap(rina, "↪️ Rujuk", card)
    # A second press on Rujuk (the partners are already shown) changes nothing, says nothing.
    await rina.press_data(
        next(b for row in card.buttons for b in row if b.text == "↪️ Rujuk").callback_data or "",
        card.message_id,
    )
    await tap(rina, "UPTD PPA")
    await open_notice(resident.user, "UPTD PPA", "id")
    await tap(rina, "✔️ Selesai")
    await tap(rina, "Ditangani dan tuntas")
    await open_notice(resident.user, "Selesai", "id")
    assert not [m for m in rina.chat.messages if "Maaf, terjadi gangguan" in m.text]
    async with bot.service.session_factory() as session:
        report = await session.scalar(select(Report).where(Report.code == code))
        assert report is not None
        assert (report.status, report.referral_partner, report.outcome) == (
            "selesai",
            "uptd_ppa",
            "resolved",
        )


async def test_notes_are_stored_encrypted_and_audited(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await two_officers(bot, emulator)
    report_id, code = await file_report(bot.service, "Kalampangan")
    rina = emulator.user(RINA)
    alert = await rina.wait_for(code)
    await tap(rina, f"✅ Terima {code}", alert)
    await rina.wait_for("Ditangani oleh: Bu Rina")
    await tap(rina, "✍️ Tulis catatan")
    await rina.wait_for("Tulis catatan")
    await rina.send_text("Sudah berkunjung ke rumah <korban>.")
    await rina.wait_for("Catatan disimpan")
    # The update commits right after its reply.
    await until(lambda: _has_note(bot), "the note stored", within=5)
    async with bot.service.session_factory() as session:
        [note] = list(await session.scalars(select(CaseNote)))
        assert note.text == "Sudah berkunjung ke rumah <korban>." and note.report_id == report_id
        actions = list(
            await session.scalars(select(AuditLog.action).where(AuditLog.report_id == report_id))
        )
    assert {"report_submitted", "report_routed", "case_taken", "note_added"} <= set(actions)


async def _has_note(bot: RunningBot) -> bool:
    async with bot.service.session_factory() as session:
        return bool(await session.scalar(select(func.count()).select_from(CaseNote)))


async def test_kasus_lists_open_cases_with_their_age(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await two_officers(bot, emulator)
    _, code = await file_report(bot.service, "Kalampangan")
    _, elsewhere = await file_report(bot.service, "Menteng")
    rina = emulator.user(RINA)
    await rina.wait_for(code)
    await rina.send_command("/kasus")
    listing = await rina.wait_for("Kasus terbuka")
    assert code in listing.text and elsewhere not in listing.text
    assert "dilaporkan baru saja" in listing.text  # its age in words, not "0 menit"


async def test_a_forged_taken_by_button_names_nobody(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    """`k:info:<id>` (the "taken by" placeholder of a combined alert) has sequential ids: it
    says who owns a case only to someone who may see that case."""
    await two_officers(bot, emulator)
    report_id, code = await file_report(bot.service, "Kalampangan")
    rina, joko, sari = emulator.user(RINA), emulator.user(JOKO), emulator.user(SARI)
    await tap(rina, f"✅ Terima {code}", await rina.wait_for(code))
    alert = await joko.wait_for("diambil oleh Bu Rina")
    # Joko was alerted to the case: he may know who took it.
    told = await joko.press_data(f"k:info:{report_id}:", alert.message_id)
    assert told is not None and "Bu Rina" in (told.text or "")
    # An officer of another kecamatan and a resident learn nothing, and it is audit-logged.
    await resident.start()
    for user in (sari, resident.user):
        sent = await user.send_text("halo")
        forged = await user.press_data(f"k:info:{report_id}:", sent["message_id"])
        assert forged is not None and forged.show_alert
        assert "Rina" not in (forged.text or "") and code not in (forged.text or "")
    async with bot.service.session_factory() as session:
        refused = list(
            await session.scalars(
                select(AuditLog.actor_id).where(AuditLog.action == "case_button_refused")
            )
        )
    assert sorted(refused) == sorted([SARI, pseudonym(resident.user.id)])


async def test_case_buttons_forged_for_no_case_get_a_plain_refusal(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    """An id of no case at all: refused like any other forged press (and audit-logged), not
    an apology for an error."""
    await two_officers(bot, emulator)
    await resident.start()
    rina = emulator.user(RINA)
    no = translate("id", "You are not allowed to do this.")
    actions = ("take", "info", "open", "handling", "close", "note", "contact", "reply")
    for user in (rina, resident.user):
        sent = await user.send_text("halo")
        # No such case; and an id PostgreSQL cannot even take as a parameter.
        for forged_id, action in itertools.product((999999, 2**40), actions):
            forged = await user.press_data(f"k:{action}:{forged_id}:", sent["message_id"])
            assert forged is not None and forged.show_alert, (user.id, action)
            assert forged.text == no, (user.id, action, forged_id)
    sorry = translate("id", "Sorry, something went wrong on our side.")
    assert not [m for m in rina.chat.messages if sorry in m.text]


async def test_each_officer_gets_the_alerts_of_their_own_area_among_many(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """The sender checks every case message against its recipient's area as it goes out: with
    cases open in several kecamatan, each check must look at its own case's."""
    await two_officers(bot, emulator)
    emulator.user(3104, first_name="U3104")
    await add_officer(bot.service, 3104, "Marang", name="Pak Budi")
    places = {SARI: "Menteng", RINA: "Kalampangan", 3104: "Marang"}
    codes = {}
    for _ in range(2):  # each kecamatan's case both before and after the others'
        for officer, place in places.items():
            _, codes[officer] = await file_report(bot.service, place)
            assert codes[officer] in (await emulator.user(officer).wait_for(codes[officer])).text
