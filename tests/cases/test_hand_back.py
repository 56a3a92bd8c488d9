"""An officer removed from the team, or from a kelurahan, while owning open cases: the cases go
back to the kelurahan as new alerts, and nothing of them reaches that person any more."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import alert_policy
from bot.config import Settings
from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services.cases import hand_back_cases
from services.clock import ManualClock
from services.officers import remove_kelurahan
from storage.models import AuditLog, OutboxMessage, Report, User
from storage.repositories.staff import StaffRepo
from tests.cases.staffing import add_officer, file_report, kelurahan_id, tap
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.clock import advance
from tests.fixtures.timeline import until
from tests.followups.helpers import open_notice
from tests.staff.people import Person
from tests.staff.test_cli import run_cli

RINA, JOKO, REPORTER = 3201, 3202, 3203


async def report_row(bot: RunningBot, report_id: int) -> Report:
    async with bot.service.session_factory() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        return report


def mentioning(user: SimulatedUser, code: str) -> list[BotMessage]:
    return [m for m in user.chat.bot_messages() if code in m.text]


def reminders(user: SimulatedUser, code: str) -> int:
    # Counted in the text: alerts waiting for one officer may arrive combined in one message.
    return sum(m.text.count("Pengingat") for m in mentioning(user, code))


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
    relayed = await open_notice(reporter, "Apakah Anda aman?", "id")

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


ANDI = 3204  # a coordinator who also serves Menteng, in another kecamatan than Kalampangan


async def make_coordinator(bot: RunningBot, user_id: int) -> None:
    async with bot.service.session_factory() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        user.role = "coordinator"


async def relay_rows_to(bot: RunningBot, chat_id: int) -> list[OutboxMessage]:
    async with bot.service.session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient_id == chat_id, OutboxMessage.kind == "relay"
            )
        )
        return list(rows)


async def replies_to(bot: RunningBot, chat_id: int) -> list[OutboxMessage]:
    async with bot.service.session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient_id == chat_id, OutboxMessage.kind == "reply"
            )
        )
        return list(rows)


async def test_a_demoted_coordinator_keeps_only_what_an_officer_of_their_area_may_see(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    for user_id in (RINA, ANDI, REPORTER):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, ANDI, "Menteng", name="Pak Andi")
    await make_coordinator(bot, ANDI)
    # Urgent: the coordinators are alerted at once, Pak Andi among them, and he takes it.
    report_id, code = await file_report(
        bot.service, "Kalampangan", urgent=True, reporter_chat=REPORTER, consent=True
    )
    andi, rina, reporter = emulator.user(ANDI), emulator.user(RINA), emulator.user(REPORTER)
    await tap(andi, f"✅ Terima {code}", await andi.wait_for(code))
    card = await andi.wait_for("Ditangani")
    await rina.wait_for("diambil oleh Pak Andi")
    await tap(andi, "💬 Hubungi pelapor", card)
    await andi.wait_for("Tulis pesan")
    await andi.send_text("Apakah Anda aman?")
    await andi.wait_for("Terkirim")
    relayed = await open_notice(reporter, "Apakah Anda aman?", "id")

    # The reporter's answer is on its way to him (his chat is paused by Telegram for a while)
    # when another coordinator ends his role.
    emulator.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60, chat_id=ANDI
    )
    await tap(reporter, "↩️ Balas", relayed)
    await reporter.wait_for("Tulis jawaban")
    await reporter.send_text("Saya aman, terima kasih.")
    await reporter.wait_for("Terkirim")

    async def answer_held() -> bool:
        return any(
            row.attempts or row.not_before for row in await relay_rows_to(bot, ANDI)
        ) and any(c.error_code == 429 for c in emulator.calls_of("sendMessage"))

    await until(answer_held, "the answer held back by the 429", within=5)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    listing = await coordinator.command("/petugas", expect="Officers")
    [button] = [b.text for row in listing.buttons for b in row if b.text.endswith("Pak Andi")]
    await coordinator.press(button)
    await coordinator.user.wait_for("Also a coordinator.")
    await coordinator.press("End the coordinator role")
    await coordinator.user.wait_for("End Pak Andi's coordinator role?")
    await coordinator.press("Yes, end the role")
    handed = await coordinator.user.wait_for("went back to their kelurahan")
    assert code in handed.text

    # The case is the kelurahan's again, and what was queued for him stays unsent.
    report = await report_row(bot, report_id)
    assert (report.owner_id, report.status) == (None, "baru")
    again = await rina.wait_for(predicate=lambda m: m.button(f"✅ Terima {code}") is not None)
    assert "Dikembalikan" in again.text
    assert [row.status for row in await relay_rows_to(bot, ANDI)] == ["cancelled"]
    # An officer of Menteng now: the Kalampangan case is closed to him.
    refused = await andi.press("🛠 Ditangani", card)
    assert refused is not None and refused.show_alert
    opened = await andi.press_data(f"k:open:{report_id}:", card.message_id)
    assert opened is not None and opened.show_alert
    # /kasus: his answer waits for Telegram's pause of his chat (the 429 above, 60 s) like
    # every message to it; what it will say is in the outbox already.
    await andi.send_command("/kasus")

    async def listing_queued() -> bool:
        return any(
            "Tidak ada kasus terbuka" in str((row.payload or {}).get("params", {}).get("text"))
            and code not in str(row.payload)
            for row in await replies_to(bot, ANDI)
        )

    await until(listing_queued, "his /kasus answer queued", within=5)


@pytest.mark.slow
async def test_a_coordinator_removed_from_the_command_line_hears_no_more_of_other_areas(
    bot: RunningBot,
    emulator: BotAPIEmulator,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    """`python -m bot coordinator remove`, while the bot runs: the case he took goes back, and
    what is queued for him later about a case he may no longer see (an escalation reminding
    everyone alerted so far) never reaches him."""
    for user_id in (RINA, ANDI, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, ANDI, "Menteng", name="Pak Andi")
    await make_coordinator(bot, ANDI)
    andi, rina = emulator.user(ANDI), emulator.user(RINA)
    taken_id, taken = await file_report(bot.service, "Kalampangan", urgent=True)
    await tap(andi, f"✅ Terima {taken}", await andi.wait_for(taken))
    await andi.wait_for("Ditangani")
    _, waiting = await file_report(bot.service, "Kalampangan", urgent=True)
    await andi.wait_for(waiting)

    code, stdout, stderr = await run_cli(
        "coordinator", "remove", str(ANDI),
        database_url=database_url, key=settings.data_key.get_secret_value().split(",")[0],
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, stderr
    assert "now officer" in stdout and taken in stdout
    report = await report_row(bot, taken_id)
    assert (report.owner_id, report.status) == (None, "baru")
    await rina.wait_for(predicate=lambda m: m.button(f"✅ Terima {taken}") is not None)
    seen = {code: len(mentioning(andi, code)) for code in (taken, waiting)}
    # The reminders of the case nobody took go on, to everyone alerted so far (the case
    # handed back starts again with an escalation of its own).
    reminded = reminders(rina, waiting)
    for _step in range(4):
        await advance(bot, clock, settings.urgent_ack_timeout)

    async def reminded_twice_more() -> bool:
        return reminders(rina, waiting) >= reminded + 2

    # Several messages to one chat go at Telegram's pace (about one a second): on a busy
    # machine that takes a while.
    await until(reminded_twice_more, "two more reminders", within=30)
    assert {code: len(mentioning(andi, code)) for code in (taken, waiting)} == seen
    async with bot.service.session_factory() as session:
        to_andi = await session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.recipient_id == ANDI, OutboxMessage.created_at > report.updated_at
            )
        )
        assert "sent" not in set(to_andi)
