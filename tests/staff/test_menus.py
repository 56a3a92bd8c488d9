"""The coordinators' chat menus: every command they may use, set at start-up for those
configured in COORDINATOR_IDS, in their language, and a refused menu never stops start-up."""

from __future__ import annotations

import logging

import pytest

from conversations.menu import RESIDENT_COMMANDS
from playground.emulator import BotAPIEmulator
from storage.models import OfficerArea, User
from tests.fixtures.bot import COORDINATOR_ID, RunningBot, make_settings, start_bot
from tests.fixtures.timeline import until
from tests.staff.people import Person
from tests.translations import translate

SECOND_COORDINATOR = 900002
OFFICER_ID = 3105
COORDINATOR_MENU = ["kasus", "undang", "petugas", "jadwal", "siaran", "statistik", "ekspor"]
RESIDENT_MENU = [name for name, _ in RESIDENT_COMMANDS]


def chat_menu(emulator: BotAPIEmulator, chat_id: int) -> dict[str, str]:
    return {
        c["command"]: c["description"]
        for c in emulator.commands(scope={"type": "chat", "chat_id": chat_id})
    }


async def test_a_configured_coordinator_has_the_staff_menu_after_start_up(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    menu = emulator.commands(scope={"type": "chat", "chat_id": COORDINATOR_ID})
    assert [c["command"] for c in menu] == COORDINATOR_MENU + RESIDENT_MENU
    descriptions = {c["command"]: c["description"] for c in menu}
    # Nobody chose a language yet: Indonesian, the default.
    assert descriptions["siaran"] == translate("id", "Broadcast an awareness message")
    assert descriptions["kasus"] == translate("id", "All open cases")
    assert descriptions["lapor"] == translate("id", "Report an incident")

    # The menu's new entries are commands the coordinator can really use.
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    cases = await coordinator.command("/kasus", expect="📈 Open:")
    assert "No open cases" in cases.text
    await coordinator.command("/siaran", expect="New broadcast")


async def test_start_up_menus_speak_the_coordinators_language_and_survive_a_refusal(
    emulator: BotAPIEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        emulator, database_url, coordinator_ids=[COORDINATOR_ID, SECOND_COORDINATOR]
    )
    # Telegram refuses the first coordinator's menu (e.g. a chat the bot never saw): logged,
    # and start-up goes on with the other coordinator and the residents' menus.
    emulator.fail_next("setMyCommands", 400, "Bad Request: chat not found")
    with caplog.at_level(logging.WARNING, logger="conversations.staff.menu"):
        first = await start_bot(settings, emulator)
    try:
        menus = [chat_menu(emulator, COORDINATOR_ID), chat_menu(emulator, SECOND_COORDINATOR)]
        assert sorted(len(menu) for menu in menus) == [0, len(COORDINATOR_MENU + RESIDENT_MENU)]
        assert "could not set a staff menu: TelegramBadRequest" in caplog.text
        assert {c["command"] for c in emulator.commands("")} == set(RESIDENT_MENU)

        # The first coordinator reads English; the second also serves a kelurahan.
        await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    finally:
        await first.stop()
    [menteng] = first.service.gazetteer.match_kelurahan("Menteng")
    async with first.service.session_factory() as session, session.begin():
        session.add(OfficerArea(officer_id=SECOND_COORDINATOR, kelurahan_id=menteng.id))

    restarted = await start_bot(settings, emulator)
    try:
        # The first bot's last long poll may still look active: wait for the new start-up.
        async def both_set() -> bool:
            english = chat_menu(emulator, COORDINATOR_ID).get("kasus") == "All open cases"
            return english and "piket" in chat_menu(emulator, SECOND_COORDINATOR)

        await until(both_set, "both coordinators' menus", within=5)
        english = chat_menu(emulator, COORDINATOR_ID)
        assert list(english) == COORDINATOR_MENU + RESIDENT_MENU
        assert english["siaran"] == "Broadcast an awareness message"
        assert english["kasus"] == "All open cases"
        serving = chat_menu(emulator, SECOND_COORDINATOR)
        assert list(serving) == ["piket", *COORDINATOR_MENU, *RESIDENT_MENU]
        assert serving["piket"] == translate("id", "Go on or off duty")
    finally:
        await restarted.stop()


async def test_a_serving_coordinator_removed_as_officer_keeps_a_menu_in_their_language(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    """The menu is set after the commit, but built while the removed coordinator's language
    is chosen, not in the language of the coordinator pressing the button."""
    [menteng] = bot.service.gazetteer.match_kelurahan("Menteng")
    emulator.user(SECOND_COORDINATOR, first_name="Dewi")
    async with bot.service.session_factory() as session, session.begin():
        session.add(User(id=SECOND_COORDINATOR, role="coordinator", display_name="Dewi"))
        await session.flush()
        session.add(OfficerArea(officer_id=SECOND_COORDINATOR, kelurahan_id=menteng.id))

    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/petugas", expect="Officers")
    await coordinator.press("1. Dewi")
    await coordinator.user.wait_for("On duty now:")
    await coordinator.press("🗑 Remove this officer")
    await coordinator.press("🗑 Yes, remove")
    await coordinator.user.wait_for("Dewi is no longer an officer")

    menu = chat_menu(emulator, SECOND_COORDINATOR)
    assert list(menu) == COORDINATOR_MENU + RESIDENT_MENU, "no /piket: they serve no kelurahan"
    assert menu["kasus"] == translate("id", "All open cases")


async def test_officers_already_in_the_database_get_their_menu_at_start_up(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """An officer who never used an invitation in this bot's life (a restored database, the
    demo's seed) still finds /piket and /kasus under `/`, not only the resident's commands."""
    settings = make_settings(emulator, database_url)
    first = await start_bot(settings, emulator)
    await first.stop()
    [menteng] = first.service.gazetteer.match_kelurahan("Menteng")
    async with first.service.session_factory() as session, session.begin():
        session.add(User(id=OFFICER_ID, role="officer", display_name="Bu Sari", language="en"))
        await session.flush()
        session.add(OfficerArea(officer_id=OFFICER_ID, kelurahan_id=menteng.id))
    restarted = await start_bot(settings, emulator)
    try:
        await until(lambda: _has_menu(emulator, OFFICER_ID), "the officer's menu", within=5)
        menu = chat_menu(emulator, OFFICER_ID)
        assert list(menu) == ["piket", "kasus", *RESIDENT_MENU]
        assert menu["piket"] == "Go on or off duty"
        shown = [c["command"] for c in emulator.commands_shown(OFFICER_ID, "en")]
        assert shown[:2] == ["piket", "kasus"]
    finally:
        await restarted.stop()


async def _has_menu(emulator: BotAPIEmulator, chat_id: int) -> bool:
    return bool(chat_menu(emulator, chat_id))
