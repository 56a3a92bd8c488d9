"""A submitted report reaches the right people at once, over HTTP through the emulator."""

from __future__ import annotations

from sqlalchemy import select

from playground.emulator import BotAPIEmulator
from storage.models import Alert, AuditLog, OutboxMessage
from tests.cases.staffing import add_officer, file_report
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot

OFFICER, NEIGHBOUR, OTHER_CITY_PART = 3001, 3002, 3003


async def staff(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    for user_id in (OFFICER, NEIGHBOUR, OTHER_CITY_PART, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, OFFICER, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, NEIGHBOUR, "Kereng Bangkirai", name="Pak Joko")
    await add_officer(bot.service, OTHER_CITY_PART, "Menteng", name="Bu Sari")


async def test_a_resident_report_alerts_the_kelurahan_officer(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description(landmark="Gang <Mawar> & pasar")
    await resident.describe("Anak itu dipukul <setiap> malam & menangis.")
    await resident.finish_anonymously()
    code = await resident.send()

    officer = emulator.user(OFFICER)
    alert = await officer.wait_for(code)
    assert "Anak itu dipukul <setiap> malam & menangis." in alert.text
    assert "Gang <Mawar> & pasar" in alert.text
    assert "Anonim" in alert.text and "Kalampangan" in alert.text
    assert alert.button(f"✅ Terima {code}") is not None
    # Nobody else: not the neighbouring kelurahan, not the other kecamatan, not coordinators
    # (nobody else is even queued: the alerts are written with the report).
    assert await alerted(bot) == {OFFICER}
    for other in (NEIGHBOUR, OTHER_CITY_PART, COORDINATOR_ID):
        assert not [m for m in emulator.user(other).chat.messages if code in m.text]


async def test_no_one_on_duty_in_the_kelurahan_goes_to_the_kecamatan(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    await add_officer(bot.service, 3010, "Sabaru", name="Off duty", on_duty=False)
    _, code = await file_report(bot.service, "Sabaru")
    await emulator.user(NEIGHBOUR).wait_for(code)
    assert OTHER_CITY_PART not in await alerted(bot)
    assert not [m for m in emulator.user(OTHER_CITY_PART).chat.messages if code in m.text]
    async with bot.service.session_factory() as session:
        levels = set(await session.scalars(select(Alert.level)))
    assert levels == {1}


async def test_no_one_on_duty_in_the_kecamatan_goes_to_the_coordinators(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    _, code = await file_report(bot.service, "Marang")  # kecamatan Bukit Batu: nobody
    await emulator.user(COORDINATOR_ID).wait_for(code)
    audit = await _audit(bot, "report_routed")
    assert '"level": 2' in (audit[0].detail or "")


async def test_urgent_reports_also_reach_the_coordinators_at_once(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    _, code = await file_report(bot.service, "Kalampangan", urgent=True)
    first = await emulator.user(OFFICER).wait_for(code)
    assert "🚨" in first.text
    await emulator.user(COORDINATOR_ID).wait_for(code)


async def alerted(bot: RunningBot) -> set[int]:
    """Everyone an alert was queued for, sent yet or not."""
    async with bot.service.session_factory() as session:
        return set(await session.scalars(select(Alert.recipient_id)))


async def _audit(bot: RunningBot, action: str) -> list[AuditLog]:
    async with bot.service.session_factory() as session:
        return list(await session.scalars(select(AuditLog).where(AuditLog.action == action)))


async def test_the_officer_is_alerted_before_the_resident_is_told_and_nothing_links_them(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """Kirim commits the report and its alert first; the confirmation queues behind the alert
    and, for an anonymous report, leaves nothing in the database that ties the chat to it."""
    await staff(bot, emulator)
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Dipukul setiap malam.")
    await resident.finish_anonymously()
    code = await resident.send()
    await emulator.user(OFFICER).wait_for(code)

    sends = [c for c in emulator.calls_of("sendMessage") if c.ok and code in c.params["text"]]
    assert [int(c.params["chat_id"]) for c in sends] == [OFFICER, resident.user.id]
    receipt = sends[1].params["text"]
    assert "112" in receipt, "the emergency numbers come with the tracking code"

    await resident.user.wait_idle()  # the sender records the receipt after Telegram's answer
    async with bot.service.session_factory() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "receipt"))
        )
    assert len(rows) == 1
    for row in rows:
        assert row.status == "sent"
        assert row.report_id is None
        assert code not in (row.dedupe_key or "")
        # Once sent, a row to a resident says neither what it said nor to whom.
        assert row.payload is None and row.recipient_id is None
