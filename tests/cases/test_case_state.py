"""Case state an officer can trust: a button acts on the case as it is now, never as an older
card shows it, and the older cards of a case follow its changes."""

from __future__ import annotations

import json

from sqlalchemy import select

from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from storage.models import AuditLog, Report, ScheduledJob
from tests.cases.staffing import add_officer, file_report, tap
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import until
from tests.translations import translate

RINA, JOKO = 3151, 3152


def t(msgid: str) -> str:
    return translate("id", msgid)


async def officers(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    for user_id in (RINA, JOKO, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, JOKO, "Kalampangan", name="Pak Joko")


async def report_row(bot: RunningBot, code: str) -> Report:
    async with bot.service.session_factory() as session:
        report = await session.scalar(select(Report).where(Report.code == code))
        assert report is not None
        return report


def data_of(message: BotMessage, text: str) -> str:
    button = message.button(text)
    assert button is not None and button.callback_data, message.describe()
    return button.callback_data


def current(user: SimulatedUser, message_id: int) -> BotMessage:
    return next(m for m in user.chat.messages if m.message_id == message_id)


async def two_cards(
    bot: RunningBot, emulator: BotAPIEmulator
) -> tuple[str, BotMessage, BotMessage]:
    """Rina takes a case (its alert becomes card A), then opens it from /kasus (card B)."""
    await officers(bot, emulator)
    _, code = await file_report(bot.service, "Kalampangan")
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Terima {code}", await rina.wait_for(code))
    card_a = await rina.wait_for(t("Handled by: {name}").split("{")[0])
    await rina.send_command("/kasus")
    listing = await rina.wait_for(t("<b>Open cases ({count})</b>").split("(")[0].strip("<b>"))
    await tap(rina, code, listing)
    card_b = await rina.wait_for(code, predicate=lambda m: m.message_id == listing.message_id)
    return code, current(rina, card_a.message_id), card_b


async def close_on(rina: SimulatedUser, card: BotMessage) -> None:
    await tap(rina, t("✔️ Close"), card)
    await tap(rina, t("Referred, follow-up by the partner"), card)
    await rina.wait_for(t("Closed"), predicate=lambda m: m.message_id == card.message_id)


async def test_a_stale_card_cannot_reopen_a_case_closed_on_another(
    bot: RunningBot, emulator: BotAPIEmulator, resident: Resident
) -> None:
    """One tap on "🛠 Ditangani" of an older card used to reopen a closed case: the card then
    read "Sedang ditangani … Hasil: Dirujuk", /status said "Sedang ditangani" and /kasus
    counted it open and closed."""
    code, card_a, card_b = await two_cards(bot, emulator)
    rina = emulator.user(RINA)
    handling = data_of(card_a, t("🛠 Handling"))
    await close_on(rina, card_b)

    refused = await rina.press_data(handling, card_a.message_id)
    assert refused is not None and refused.show_alert, refused
    assert t("Closed") in (refused.text or ""), refused  # says why
    # The pressed card now shows the case as it is: closed, no status buttons.
    await until(lambda: _shows_closed(rina, card_a.message_id), "card A closed", within=5)
    report = await report_row(bot, code)
    assert (report.status, report.outcome) == ("selesai", "referred")
    assert report.closed_at is not None

    await resident.start()
    await resident.user.send_command("/status", code)
    status = await resident.user.wait_for(code)
    assert t("Closed") in status.text and t("Being handled") not in status.text
    await rina.send_command("/kasus")
    counts = await rina.wait_for("📈")
    assert t("No open cases. 🌱") in counts.text, counts.text
    async with bot.service.session_factory() as session:
        stale = await session.scalar(
            select(AuditLog).where(
                AuditLog.action == "case_button_stale", AuditLog.report_id == report.id
            )
        )
    assert stale is not None and stale.actor_id == RINA


async def _shows_closed(user: SimulatedUser, message_id: int) -> bool:
    card = current(user, message_id)
    return (
        f"Status: {t('Closed')}" in card.text
        and card.button(t("🛠 Handling")) is None
        and card.button(t("✔️ Close")) is None
    )


async def test_older_cards_follow_the_case_when_it_changes(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    _code, card_a, card_b = await two_cards(bot, emulator)
    rina = emulator.user(RINA)
    await tap(rina, t("🛠 Handling"), card_b)
    # Both cards redrawn before the next tap: a tap on card B before its own redraw arrives
    # would be a press from an older version, refused as stale (that is the point).
    for card in (card_a, card_b):
        await until(
            lambda card=card: (
                f"Status: {t('Being handled')}" in current(rina, card.message_id).text
            ),
            "the card redrawn as being handled",
            within=5,
        )
    await close_on(rina, card_b)
    await until(lambda: _shows_closed(rina, card_a.message_id), "card A closed", within=5)


async def test_reopening_a_closed_case_is_asked_and_audited(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    code, _card_a, card_b = await two_cards(bot, emulator)
    rina = emulator.user(RINA)
    await close_on(rina, card_b)
    closed = current(rina, card_b.message_id)
    await tap(rina, t("🔓 Reopen"), closed)
    question = await rina.wait_for(t("Reopen case <code>{code}</code>?").split("<")[0])
    # Asked, not done: nothing changed yet.
    assert (await report_row(bot, code)).status == "selesai"
    await tap(rina, t("Yes, reopen it"), question)
    await rina.wait_for(f"Status: {t('Being handled')}")
    report = await report_row(bot, code)
    assert (report.status, report.closed_at, report.outcome) == ("ditangani", None, None)
    async with bot.service.session_factory() as session:
        reopened = list(
            await session.scalars(
                select(AuditLog).where(
                    AuditLog.action == "case_reopened", AuditLog.report_id == report.id
                )
            )
        )
    assert [row.actor_id for row in reopened] == [RINA]
    assert json.loads(reopened[0].detail or "{}").get("outcome") == "referred"
    await rina.send_command("/kasus")
    assert code in (await rina.wait_for("📈")).text


async def test_a_reopened_case_checks_in_with_its_reporter_again(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """Closing ends the check-ins with a reporter who may be contacted; reopening the case
    starts them again, as for any open case."""
    await officers(bot, emulator)
    _, code = await file_report(bot.service, "Kalampangan", consent=True, reporter_chat=7788)
    rina = emulator.user(RINA)
    await tap(rina, f"✅ Terima {code}", await rina.wait_for(code))
    card = await rina.wait_for(t("Handled by: {name}").split("{")[0])
    await close_on(rina, current(rina, card.message_id))
    assert await waiting_check_ins(bot, code) == 0
    closed = current(rina, card.message_id)
    await tap(rina, t("🔓 Reopen"), closed)
    await tap(
        rina,
        t("Yes, reopen it"),
        await rina.wait_for(t("Reopen case <code>{code}</code>?").split("<")[0]),
    )
    await rina.wait_for(f"Status: {t('Being handled')}")

    async def checked_in_again() -> bool:
        return await waiting_check_ins(bot, code) == 1

    await until(checked_in_again, "the check-in again", within=5)


async def waiting_check_ins(bot: RunningBot, code: str) -> int:
    report = await report_row(bot, code)
    async with bot.service.session_factory() as session:
        jobs = await session.scalars(
            select(ScheduledJob).where(
                ScheduledJob.report_id == report.id,
                ScheduledJob.kind == "followup",
                ScheduledJob.done_at.is_(None),
                ScheduledJob.cancelled.is_(False),
            )
        )
        return len(list(jobs))


async def test_an_outcome_chosen_on_a_stale_card_closes_nothing(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """The second step of Close (the outcome) is checked against the case as it is too: the
    case moved on another card between "✔️ Selesai" and the outcome."""
    code, card_a, card_b = await two_cards(bot, emulator)
    rina = emulator.user(RINA)
    await tap(rina, t("✔️ Close"), card_a)
    chooser = await rina.wait_for(
        predicate=lambda m: (
            m.message_id == card_a.message_id
            and m.button(t("Referred, follow-up by the partner")) is not None
        )
    )
    outcome = data_of(chooser, t("Referred, follow-up by the partner"))
    await tap(rina, t("🛠 Handling"), current(rina, card_b.message_id))
    await rina.wait_for(
        f"Status: {t('Being handled')}", predicate=lambda m: m.message_id == card_b.message_id
    )

    refused = await rina.press_data(outcome, card_a.message_id)
    assert refused is not None and refused.show_alert, refused
    assert t("Being handled") in (refused.text or ""), refused
    report = await report_row(bot, code)
    assert (report.status, report.outcome, report.closed_at) == ("ditangani", None, None)
