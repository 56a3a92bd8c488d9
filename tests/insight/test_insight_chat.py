"""/statistik, /ekspor and the /kasus counts, end to end through the emulator.

Everyone switches to English with /bahasa first (the new texts are not translated yet);
assertions on numbers and files read the data, not the wording, where they can.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from playground.emulator import BotAPIEmulator, BotMessage
from services.charts import PNG_SIGNATURE
from services.export import COLUMNS, PERSONAL_COLUMNS, SIMFONI_LABELS
from services.export_file import parse_csv
from storage.models import AppSetting, AuditLog, utcnow
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import until
from tests.insight.seeding import add_officer, add_report, wib
from tests.insight.test_statistics_service import seed_october
from tests.staff.people import Person

OCTOBER = "01-10-2026 31-10-2026"
LABEL_TABLE = {
    "kategori": "category",
    "kategori_korban": "victim",
    "waktu_kejadian": "occurred",
    "status": "status",
}
OFFICER, RESIDENT = 7101, 7102


def is_photo(message: BotMessage) -> bool:
    return message.kind == "photo"


def is_document(message: BotMessage) -> bool:
    return message.kind == "document"


async def audit_count(bot: RunningBot, action: str) -> int:
    async with bot.service.session_factory() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
            )
            or 0
        )


async def _has(bot: RunningBot, action: str, expected: int) -> bool:
    """The update commits just after its answer: poll until its audit entry is there."""
    return await audit_count(bot, action) == expected


async def seed(bot: RunningBot) -> None:
    async with bot.service.session_factory() as session, session.begin():
        await seed_october(session)


async def two_png_photos(person: Person, emulator: BotAPIEmulator) -> None:
    for _ in range(2):
        photo = await person.user.wait_for(predicate=is_photo, timeout=10)
        assert photo.file_id is not None
        assert emulator.file_bytes(photo.file_id).startswith(PNG_SIGNATURE)


async def test_statistics_for_typed_dates(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    await seed(bot)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    text = await coordinator.command("/statistik", OCTOBER, expect="Statistics")
    assert "Cases: 6, of them urgent: 2" in text.text
    assert "Bu Rina <b>" in text.text, "officer names arrive intact, escaped"
    # Durations in words: "6h" reads as six days in Indonesian ("h" for "hari").
    assert "Urgent reports acknowledged within 15 minutes: 1 of 2 (50 %)" in text.text
    assert "Other reports handled within 6 hours: 1 of 4 (25 %)" in text.text
    assert not re.search(r"\d[mhd]\b", text.text), text.text
    await two_png_photos(coordinator, emulator)
    await until(
        lambda: _has(bot, "statistics_viewed", 1), "a statistics_viewed audit entry", within=5
    )


async def test_period_buttons_empty_and_bad_periods(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/statistik", expect="Which period?")
    await coordinator.press("Last 7 days")
    empty = await coordinator.user.wait_for("Statistics")
    assert "No cases were reported in this period." in empty.text
    await two_png_photos(coordinator, emulator)

    await coordinator.command("/statistik", expect="Which period?")
    await coordinator.press("Other period…")
    await coordinator.user.wait_for("Type the first and the last day")
    await coordinator.say("31-10-2026 01-10-2026", expect="The first day comes after the last")
    await coordinator.say("01-01-2015 31-12-2026", expect="longer than 5 years")
    await coordinator.say("soon please", expect="I could not read that period")
    await seed(bot)
    text = await coordinator.say(OCTOBER, expect="Statistics")
    assert "Cases: 6" in text.text
    await two_png_photos(coordinator, emulator)
    await coordinator.command("/statistik", "31-10-2026 01-10-2026", expect="comes after")


async def test_coordinators_set_targets(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    saved = await coordinator.command("/statistik", "target urgent 45m", expect="Target saved")
    assert "within 45 minutes." in saved.text
    saved = await coordinator.command("/statistik", "target handle 9 hours", expect="Target")
    assert "within 9 hours." in saved.text
    await coordinator.command("/statistik", "target handle never", expect="To change a target")

    async def stored() -> bool:
        async with bot.service.session_factory() as session:
            rows = {row.key: row.value for row in await session.scalars(select(AppSetting))}
        return rows == {"target_urgent_ack": "2700", "target_handle": "32400"}

    await until(stored, "the targets stored", within=5)
    await seed(bot)
    text = await coordinator.command("/statistik", OCTOBER, expect="Statistics")
    assert "Urgent reports acknowledged within 45 minutes: 2 of 2 (100 %)" in text.text
    assert "Other reports handled within 9 hours: 2 of 4 (50 %)" in text.text


async def test_targets_in_indonesian_words(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    """An Indonesian coordinator reads and types Indonesian: no "urgent", no "6h"."""
    user = emulator.user(user_id=COORDINATOR_ID, first_name="Andi", language_code="id")
    await user.send_command("/statistik", "target")
    help_text = await user.wait_for("/statistik target")
    assert "urgent" not in help_text.text and "handle" not in help_text.text
    assert "/statistik target mendesak 15 menit" in help_text.text
    await user.send_command("/statistik", "target mendesak 20 menit")
    saved = await user.wait_for("Target disimpan")
    assert saved.text == "Target disimpan: laporan mendesak diterima dalam 20 menit."
    await user.send_command("/statistik", "target tangani 2 hari")
    saved = await user.wait_for("Target disimpan")
    assert saved.text == "Target disimpan: laporan lain ditangani dalam 2 hari."
    await seed(bot)
    await user.send_command("/statistik", OCTOBER)
    text = await user.wait_for("Statistik")
    assert "Laporan lain ditangani dalam 2 hari:" in text.text
    assert "/statistik target tangani 6 jam" in text.text


async def test_export_without_and_with_personal_data(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    await seed(bot)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/ekspor", OCTOBER, expect="which format")
    await coordinator.press("CSV")
    document = await coordinator.user.wait_for(predicate=is_document)
    assert document.file_id is not None
    data = emulator.file_bytes(document.file_id)
    rows = parse_csv(data)
    assert len(rows) == 6 and tuple(rows[0]) == COLUMNS
    assert b"Siti" not in data and b"memukul" not in data
    # Simfoni's Indonesian terms for people, a stable code beside each for tools.
    sexual = next(row for row in rows if row["kategori_kode"] == "sexual")
    assert sexual["kategori"] == "Kekerasan seksual"
    for row in rows:
        for column in ("kategori", "kategori_korban", "waktu_kejadian", "status"):
            assert row[column] != row[f"{column}_kode"], (column, row)
            assert row[column] == SIMFONI_LABELS[LABEL_TABLE[column]][row[f"{column}_kode"]]
    await until(lambda: _has(bot, "cases_exported", 1), "a cases_exported audit entry", within=5)

    await coordinator.press("Excel (XLSX)")
    workbook = await coordinator.user.wait_for(predicate=is_document)
    assert workbook.file_id is not None
    assert emulator.file_bytes(workbook.file_id)[:2] == b"PK"

    await coordinator.press("⚠️ With personal data…")
    await coordinator.user.wait_for("Personal data")
    assert await audit_count(bot, "cases_exported_personal") == 0, "a warning exports nothing"
    await coordinator.press("Yes, CSV with personal data")
    personal = await coordinator.user.wait_for(predicate=is_document)
    assert personal.file_id is not None
    rows = parse_csv(emulator.file_bytes(personal.file_id))
    assert tuple(rows[0]) == COLUMNS + PERSONAL_COLUMNS
    assert rows[-1]["nama_pelapor"] == "Siti"
    await until(
        lambda: _has(bot, "cases_exported_personal", 1),
        "a cases_exported_personal audit entry",
        within=5,
    )


async def test_export_of_an_empty_period_by_buttons(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/ekspor", expect="Which period?")
    await coordinator.press("Last 30 days")
    await coordinator.user.wait_for("which format")
    await coordinator.press("CSV")
    document = await coordinator.user.wait_for(predicate=is_document)
    assert "No cases" in document.text
    assert document.file_id is not None
    assert parse_csv(emulator.file_bytes(document.file_id)) == []
    await coordinator.command("/ekspor", "01-01-2015 31-12-2026", expect="longer than 5 years")
    # A forged button: an unknown format or an impossible period gets an answer, not a file.
    await coordinator.user.press_data("i:e:20261001-20261031:exe:0", document.message_id)
    await coordinator.user.wait_for("which format")
    await coordinator.user.press_data("i:s:20261301-20261031::0", document.message_id)
    await coordinator.user.wait_for("I could not read that period")


async def test_others_are_refused(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    async with bot.service.session_factory() as session, session.begin():
        await add_officer(session, OFFICER, "Menteng", "Bu Sari")
    officer = await Person.english(emulator, OFFICER, "Sari")
    resident = await Person.english(emulator, RESIDENT, "Warga")
    for person in (officer, resident):
        for command in ("/statistik", "/ekspor"):
            answer = await person.command(command, OCTOBER, expect="only for coordinators")
            assert "Statistics" not in answer.text
    sent = await resident.user.send_text("halo")
    forged = await resident.user.press_data("i:e:20261001-20261031:csv:2", sent["message_id"])
    assert forged is not None and forged.show_alert
    await resident.user.wait_idle(quiet=0.2)
    assert not any(is_document(m) or is_photo(m) for m in resident.user.chat.messages)
    await until(
        lambda: _has(bot, "insight_refused", 5), "five insight_refused audit entries", within=5
    )


async def test_kasus_counts_only_the_officers_kelurahan(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    now = utcnow()
    async with bot.service.session_factory() as session, session.begin():
        await add_officer(session, OFFICER, "Menteng", "Bu Sari")
        await add_report(session, "Menteng", now - timedelta(hours=1))
        await add_report(
            session, "Menteng", now - timedelta(hours=2), ack_after=timedelta(minutes=5)
        )
        await add_report(
            session,
            "Menteng",
            now - timedelta(days=3),
            ack_after=timedelta(minutes=5),
            close_after=timedelta(days=1),
        )
        await add_report(session, "Kalampangan", now - timedelta(hours=1))
        await add_report(session, "Kalampangan", wib(2))
    officer = await Person.english(emulator, OFFICER, "Sari")
    listing = await officer.command("/kasus", expect="Open:")
    assert "Open: 2 (new: 1) · closed in the last 30 days: 1" in listing.text
