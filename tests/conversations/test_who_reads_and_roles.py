"""What /start and /bantuan say to each role: residents learn truthfully who reads a report,
officers and coordinators find their own tools (in Indonesian and English), and a resident's
help lists no staff command."""

from __future__ import annotations

import pytest

from playground.emulator import BotAPIEmulator
from tests.cases.staffing import add_officer
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.staff.people import Person
from tests.translations import translate

OFFICER_ID = 3101
STAFF_COMMANDS = ("/piket", "/kasus", "/undang", "/petugas", "/jadwal", "/siaran", "/ekspor")
COORDINATOR_TOOLS = ("/kasus", "/undang", "/petugas", "/jadwal", "/siaran", "/statistik")


async def test_the_welcome_says_who_reads_a_report(resident: Resident) -> None:
    await resident.user.send_command("/start")
    welcome = await resident.expect("👋 <b>Welcome to Lapor Aman</b>")
    # Coordinators read urgent reports (name and phone too) and may open any case.
    assert "hanya petugas kelurahan" not in welcome.text.casefold()
    assert "koordinator" in welcome.text.casefold()
    await resident.press("🔒 Read the privacy notice")
    notice = await resident.expect("🔒 <b>How Lapor Aman handles your data</b>")
    assert "kecamatan" in notice.text and "koordinator" in notice.text


@pytest.mark.parametrize("language", ["id", "en"])
async def test_a_residents_help_lists_no_staff_command(
    emulator: BotAPIEmulator, bot: RunningBot, language: str
) -> None:
    person = Resident(emulator.user(user_id=5201, language_code=language), language)
    await person.start()
    await person.user.send_command("/bantuan")
    help_message = await person.expect("ℹ️ <b>What this bot can do</b>")
    assert "/lapor" in help_message.text
    assert not [c for c in STAFF_COMMANDS if c in help_message.text], help_message.text


@pytest.mark.parametrize("language", ["id", "en"])
async def test_a_coordinators_start_and_help_show_their_tools(
    emulator: BotAPIEmulator, bot: RunningBot, language: str
) -> None:
    if language == "en":
        user = (await Person.english(emulator, COORDINATOR_ID, "Andi")).user
    else:
        user = emulator.user(user_id=COORDINATOR_ID, first_name="Andi", language_code="id")
    await user.send_command("/start")
    start = await user.wait_for()
    assert "UU 27/2022" not in start.text, "a coordinator gets no resident consent text"
    for command in COORDINATOR_TOOLS:
        assert command in start.text, start.text
    await user.send_command("/bantuan")
    help_message = await user.wait_for("/siaran")
    for command in COORDINATOR_TOOLS:
        assert command in help_message.text
    assert translate(language, "Broadcast an awareness message") in help_message.text
    # Coordinators may still report like anyone.
    assert "/lapor" in help_message.text
    assert "/piket" not in help_message.text  # serves no kelurahan


@pytest.mark.parametrize("language", ["id", "en"])
async def test_an_officers_start_and_help_show_their_tools(
    emulator: BotAPIEmulator, bot: RunningBot, language: str
) -> None:
    await add_officer(bot.service, OFFICER_ID, "Kalampangan", name="Bu Rina")
    if language == "en":
        user = (await Person.english(emulator, OFFICER_ID, "Rina")).user
    else:
        user = emulator.user(user_id=OFFICER_ID, first_name="Rina", language_code="id")
    await user.send_command("/start")
    start = await user.wait_for("/piket")
    assert "UU 27/2022" not in start.text
    assert "Kalampangan" in start.text
    assert "/piket" in start.text and "/kasus" in start.text
    assert "/undang" not in start.text
    assert translate(language, "Go on or off duty") in start.text
    await user.send_command("/bantuan")
    help_message = await user.wait_for("/piket")
    assert translate(language, "Go on or off duty") in help_message.text
    assert "/siaran" not in help_message.text
    # Officers may still report like anyone.
    assert "/lapor" in help_message.text
