"""Coordinators and officers end to end through the emulator: invitations, /piket,
/petugas, /jadwal, and residents refused."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from conversations.staff.callbacks import OfficerCb, RosterCb
from playground.emulator import BotAPIEmulator
from storage.models import AuditLog, DutyOverride, Invite, OfficerArea, RosterShift, User
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.people import stored_user
from tests.fixtures.timeline import until
from tests.staff.people import Person, becomes

NEWCOMER, LATECOMER, RESIDENT = 6001, 6002, 6003
TRICKY_NAME = "Budi <b>&"
UNTIL = re.compile(r"until \d\d:\d\d WIB (today|tomorrow)")


async def user_row(bot: RunningBot, user_id: int) -> User | None:
    async with bot.service.session_factory() as session:
        return await stored_user(session, user_id)


async def areas(bot: RunningBot, user_id: int) -> list[str]:
    async with bot.service.session_factory() as session:
        rows = await session.scalars(
            select(OfficerArea.kelurahan_id).where(OfficerArea.officer_id == user_id)
        )
        return sorted(bot.service.gazetteer.kelurahan(kel_id).name for kel_id in rows)  # type: ignore[union-attr]


async def role_is(bot: RunningBot, user_id: int, role: str) -> None:
    async def check() -> bool:
        row = await user_row(bot, user_id)
        return row is not None and row.role == role

    await until(check, f"user {user_id}'s role {role}", within=5)


async def count(bot: RunningBot, model: type, *where: object) -> int:
    async with bot.service.session_factory() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def shifts(bot: RunningBot) -> list[tuple[int, int, int, int, int]]:
    async with bot.service.session_factory() as session:
        rows = await session.scalars(select(RosterShift).order_by(RosterShift.weekday))
        return [
            (s.kelurahan_id, s.officer_id, s.weekday, s.start_minute, s.end_minute) for s in rows
        ]


async def on_duty_override(bot: RunningBot, user_id: int) -> bool | None:
    async with bot.service.session_factory() as session:
        override = await session.get(DutyOverride, user_id)
        return None if override is None else override.on_duty


async def kelurahan_id(bot: RunningBot, name: str) -> int:
    [entry] = bot.service.gazetteer.match_kelurahan(name)
    return entry.id


async def test_an_invited_officer_from_link_to_removal(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    username, code = await coordinator.invite("menteng")
    assert username == emulator.bot_username
    link_message = coordinator.user.chat.last_bot_message()
    assert link_message is not None
    assert "Menteng (Jekan Raya)" in link_message.text
    assert "Send it privately" in link_message.text and "WIB" in link_message.text

    officer = await Person.english(emulator, NEWCOMER, TRICKY_NAME)
    welcome = await officer.command("/start", code, expect="You are now an officer")
    assert f"Welcome, {TRICKY_NAME}!" in welcome.text, "the name arrives intact, escaped"
    assert "Menteng (Jekan Raya)" in welcome.text and "/piket" in welcome.text
    assert "You are not on duty now" in welcome.text
    await role_is(bot, NEWCOMER, "officer")
    row = await user_row(bot, NEWCOMER)
    assert row is not None and (row.role, row.display_name) == ("officer", TRICKY_NAME)
    await becomes(lambda: areas(bot, NEWCOMER), ["Menteng"])

    # The menu is set after the welcome, both after the commit.
    async def menu_starts() -> list[str]:
        commands = emulator.commands(scope={"type": "chat", "chat_id": NEWCOMER})
        return [c["command"] for c in commands][:2]

    await becomes(menu_starts, ["piket", "kasus"])

    # The link works once: a second person, and the officer again, are refused.
    latecomer = await Person.english(emulator, LATECOMER, "Eve")
    await latecomer.command("/start", code, expect="already been used")
    assert (await user_row(bot, LATECOMER)).role == "resident"  # type: ignore[union-attr]
    await latecomer.command("/start", "not-a-real-invitation-code", expect="not a valid invitation")
    # The officer, tapping the link again from the chat, hears that they are in already.
    again = await officer.command("/start", code, expect="You opened this invitation before")
    assert "you are an officer of Menteng (Jekan Raya)" in again.text
    assert "ask your coordinator" not in again.text
    # A plain /start is still the resident's welcome.
    await latecomer.command("/start", expect="Welcome to Lapor Aman")

    on = await officer.command("/piket", expect="You are on duty")
    assert UNTIL.search(on.text) and "Menteng (Jekan Raya)" in on.text
    off = await officer.command("/piket", expect="You are off duty")
    assert UNTIL.search(off.text)
    await becomes(lambda: on_duty_override(bot, NEWCOMER), False)

    listing = await coordinator.command("/petugas", expect="Officers")
    assert TRICKY_NAME in listing.text and "Menteng (Jekan Raya)" in listing.text
    await coordinator.press(f"1. {TRICKY_NAME}")
    await coordinator.user.wait_for("On duty now: no")
    await coordinator.press("🗑 Remove this officer")
    await coordinator.user.wait_for(f"Remove {TRICKY_NAME} as an officer?")
    await coordinator.press("🗑 Yes, remove")
    await coordinator.user.wait_for(f"{TRICKY_NAME} is no longer an officer")
    await role_is(bot, NEWCOMER, "resident")
    row = await user_row(bot, NEWCOMER)
    assert row is not None and (row.role, row.display_name) == ("resident", None)
    await becomes(lambda: areas(bot, NEWCOMER), [])
    await becomes(lambda: count(bot, DutyOverride), 0)
    assert emulator.commands(scope={"type": "chat", "chat_id": NEWCOMER}) == []

    await officer.command("/piket", expect="only for officers")
    # Removed, the old link does not make them an officer again.
    await officer.command("/start", code, expect="already been used")
    await role_is(bot, NEWCOMER, "resident")
    assert await areas(bot, NEWCOMER) == []


async def test_choosing_the_kelurahan_of_an_invitation(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/undang", "Atlantis", expect="I know no kelurahan called “Atlantis”")
    await coordinator.command("/undang", "Petuk", expect="could be several kelurahan")
    await coordinator.press("Petuk Bukit · Rakumpit")
    invitation = await coordinator.user.wait_for("Officer invitation for")
    assert "Petuk Bukit (Rakumpit)" in invitation.text
    await coordinator.command("/undang", expect="Which kelurahan is the new officer for?")
    await coordinator.press("Sabangau")
    await coordinator.press("Kalampangan")
    invitation = await coordinator.user.wait_for("Officer invitation for")
    assert "Kalampangan (Sabangau)" in invitation.text
    await becomes(lambda: count(bot, Invite), 2)


async def test_petugas_adds_and_removes_a_kelurahan(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/petugas", expect="There are no officers yet")
    _, code = await coordinator.invite("Sabaru")
    officer = await Person.english(emulator, NEWCOMER, "Ani")
    await officer.command("/start", code, expect="You are now an officer")

    await coordinator.command("/petugas", expect="Officers (1)")
    await coordinator.press("1. Ani")
    await coordinator.press("➕ Add a kelurahan")
    await coordinator.user.wait_for("Type the name of the kelurahan to add for Ani")
    await coordinator.say("Atlantis", expect="I know no kelurahan called")
    await coordinator.say("Petuk", expect="could be several kelurahan")
    await coordinator.press("Petuk Katimpun")
    await coordinator.user.wait_for("Ani now also serves Petuk Katimpun (Jekan Raya)")
    await becomes(lambda: areas(bot, NEWCOMER), ["Petuk Katimpun", "Sabaru"])

    await coordinator.command("/petugas", expect="Officers (1)")
    await coordinator.press("1. Ani")
    await coordinator.press("➖ Sabaru")
    await coordinator.user.wait_for("Kelurahan: Petuk Katimpun (Jekan Raya)")
    await becomes(lambda: areas(bot, NEWCOMER), ["Petuk Katimpun"])


async def test_a_screen_that_cannot_be_edited_comes_as_a_new_message(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    _, code = await coordinator.invite("Sabaru")
    officer = await Person.english(emulator, NEWCOMER, "Ani")
    await officer.command("/start", code, expect="You are now an officer")
    listing = await coordinator.command("/petugas", expect="Officers (1)")
    emulator.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    await coordinator.press("1. Ani", listing)
    screen = await coordinator.user.wait_for("Kelurahan: Sabaru")
    assert screen.message_id != listing.message_id
    assert screen.button("➕ Add a kelurahan") is not None


async def test_jadwal_shows_and_edits_the_roster(emulator: BotAPIEmulator, bot: RunningBot) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    _, code = await coordinator.invite("Menteng")
    officer = await Person.english(emulator, NEWCOMER, "Budi")
    await officer.command("/start", code, expect="You are now an officer")
    menteng = await kelurahan_id(bot, "Menteng")

    roster = await coordinator.command("/jadwal", "Menteng", expect="Duty roster of Menteng")
    assert roster.text.count("nobody on duty") == 7
    await coordinator.press("➕ Add a shift")
    await coordinator.user.wait_for("New shift for Menteng")
    await coordinator.say("every monday", expect="I could not read that shift.")
    await coordinator.say("Someday 08:00-16:00", expect="I do not know that day.")
    await coordinator.say("Senin 25:00-16:00", expect="A time is not right")
    await coordinator.say("Senin 08:00-08:00", expect="starts and ends at the same time")
    await coordinator.say("Senin 08:00-16:00 424242", expect="No officer has the id 424242")
    await coordinator.say(f"Senin 08:00-16:00 {NEWCOMER}", expect="Shift added")
    roster = await coordinator.user.wait_for("Duty roster of Menteng")
    assert f"08:00–16:00 — Budi ({NEWCOMER})" in roster.text
    assert roster.text.count("nobody on duty") == 6

    await coordinator.press("➕ Add a shift")
    await coordinator.user.wait_for("New shift for Menteng")
    await coordinator.say("selasa 22.00-06.00", expect="Who is on duty Tuesday")
    await coordinator.press("Budi")
    roster = await coordinator.user.wait_for("22:00–06:00 (next day) — Budi")
    await becomes(
        lambda: shifts(bot),
        [(menteng, NEWCOMER, 0, 480, 960), (menteng, NEWCOMER, 1, 1320, 360)],
    )

    # Ask before destroying: the bin names the shift, and "no" removes nothing.
    await coordinator.press("🗑 Mon 08:00–16:00 Budi")
    asked = await coordinator.user.wait_for("Remove this shift from the roster of Menteng")
    assert f"Monday 08:00–16:00 — Budi ({NEWCOMER})" in asked.text
    await coordinator.press("⬅️ No, back to the roster")
    await coordinator.user.wait_for("Duty roster of Menteng")
    await coordinator.user.wait_idle()
    assert await count(bot, RosterShift) == 2
    await coordinator.press("🗑 Mon 08:00–16:00 Budi")
    await coordinator.press("🗑 Yes, remove it")
    await coordinator.user.wait_for("Duty roster of Menteng")
    await becomes(lambda: count(bot, RosterShift), 1)

    # Choosing the kelurahan with buttons shows the same roster.
    await coordinator.command("/jadwal", expect="Which kelurahan's roster?")
    await coordinator.press("Jekan Raya")
    await coordinator.press("Menteng")
    roster = await coordinator.user.wait_for("Duty roster of Menteng")
    assert "22:00–06:00 (next day) — Budi" in roster.text


async def test_residents_and_officers_are_refused(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    _, code = await coordinator.invite("Menteng")
    officer = await Person.english(emulator, NEWCOMER, "Budi")
    await officer.command("/start", code, expect="You are now an officer")
    await coordinator.command("/jadwal", "Menteng", expect="Duty roster of Menteng")
    await coordinator.press("➕ Add a shift")
    await coordinator.say(f"Senin 08:00-16:00 {NEWCOMER}", expect="Shift added")
    await becomes(lambda: count(bot, RosterShift), 1)
    async with bot.service.session_factory() as session:
        shift_id = await session.scalar(select(RosterShift.id))
    assert shift_id is not None
    menteng = await kelurahan_id(bot, "Menteng")

    resident = await Person.english(emulator, RESIDENT, "Siti")
    for command in ("/undang", "/petugas", "/jadwal"):
        await resident.command(command, "Menteng", expect="only for coordinators")
    await resident.command("/piket", expect="only for officers")
    await officer.command("/undang", "Menteng", expect="only for coordinators")
    await becomes(lambda: count(bot, Invite), 1)

    # Buttons forged from the data of a coordinator's buttons: refused, nothing changes.
    message = resident.user.chat.last_bot_message()
    assert message is not None
    forged = [
        OfficerCb(action="dropok", officer_id=NEWCOMER).pack(),
        RosterCb(action="delok", kelurahan_id=menteng, shift_id=shift_id).pack(),
    ]
    for data in forged:
        for person in (resident, officer):
            answer = await person.user.press_data(data, message.message_id)
            assert answer is not None and answer.show_alert
            assert answer.text == "Sorry, this is only for coordinators of the service."
    assert (await user_row(bot, NEWCOMER)).role == "officer"  # type: ignore[union-attr]
    await becomes(lambda: count(bot, RosterShift), 1)
    refused = AuditLog.action == "staff_access_refused"
    await becomes(lambda: count(bot, AuditLog, refused), 4 + 1 + 4)


async def test_a_coordinator_removed_mid_form_is_refused(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/jadwal", "Menteng", expect="Duty roster of Menteng")
    await coordinator.press("➕ Add a shift")
    await coordinator.user.wait_for("New shift for Menteng")
    async with bot.service.session_factory() as session, session.begin():
        user = await session.get(User, COORDINATOR_ID)
        assert user is not None
        user.role = "resident"
    await coordinator.say("Senin 08:00-16:00", expect="only for coordinators")
    # The form was left: the next text is no longer read as a shift.
    await coordinator.say("Senin 08:00-16:00", expect="I didn't understand that")
    await becomes(lambda: count(bot, RosterShift), 0)


async def test_a_coordinator_makes_an_officer_coordinator_and_ends_it_again(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    _username, code = await coordinator.invite("menteng")
    officer = await Person.english(emulator, NEWCOMER, TRICKY_NAME)
    await officer.command("/start", code, expect="You are now an officer")

    async def menu() -> list[str]:
        commands = emulator.commands(scope={"type": "chat", "chat_id": NEWCOMER})
        return sorted(c["command"] for c in commands)

    await until(lambda: _has(menu, "piket"), "piket in the menu", within=5)
    assert "siaran" not in await menu()

    await coordinator.command("/petugas", expect="Officers")
    await coordinator.press(f"1. {TRICKY_NAME}")
    await coordinator.user.wait_for("On duty now: no")
    await coordinator.press("⭐ Make coordinator")
    await coordinator.user.wait_for(f"Make {TRICKY_NAME} a coordinator?")
    answer = await coordinator.press("⭐ Yes, make coordinator")
    # The popup is plain text: the name as typed, not escaped.
    assert answer is not None and answer.text == f"{TRICKY_NAME} is now a coordinator."
    card = await coordinator.user.wait_for("Also a coordinator.")
    assert card.button("End the coordinator role") is not None
    assert card.button("⭐ Make coordinator") is None
    told = await officer.user.wait_for("You are now a coordinator of Lapor Aman")
    assert "/siaran" in told.text
    await role_is(bot, NEWCOMER, "coordinator")
    # A coordinator and still an officer: both menus in one.
    await until(lambda: _has(menu, "siaran"), "siaran in the menu", within=5)
    assert "piket" in await menu()
    await officer.command("/siaran", expect="New broadcast")
    await officer.command("/batal", expect="")
    assert await areas(bot, NEWCOMER) == ["Menteng"]

    # The new coordinator cannot end their own role, not even with a forged button.
    await officer.command("/petugas", expect="Officers")
    await officer.press(f"1. {TRICKY_NAME}")
    own = await officer.user.wait_for("Also a coordinator.")
    assert own.button("End the coordinator role") is None
    forged = OfficerCb(action="uncoordok", officer_id=NEWCOMER).pack()
    refused = await officer.user.press_data(forged, own.message_id)
    assert refused is not None and refused.show_alert
    assert refused.text == (
        "You cannot end your own coordinator role: please ask another coordinator."
    )
    await role_is(bot, NEWCOMER, "coordinator")

    # Another coordinator can.
    await coordinator.press("End the coordinator role", card)
    await coordinator.user.wait_for(f"End {TRICKY_NAME}'s coordinator role?")
    answer = await coordinator.press("Yes, end the role")
    assert answer is not None and answer.text == f"{TRICKY_NAME} is no longer a coordinator."
    await officer.user.wait_for("You are no longer a coordinator of Lapor Aman. You remain")
    await role_is(bot, NEWCOMER, "officer")
    await until(lambda: _lacks(menu, "siaran"), "siaran gone from the menu", within=5)
    assert "piket" in await menu()
    await officer.command("/siaran", expect="only for coordinators")
    assert await areas(bot, NEWCOMER) == ["Menteng"]

    async with bot.service.session_factory() as session:
        changes = list(
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.action.in_(["coordinator_promoted", "coordinator_demoted"]))
                .order_by(AuditLog.id)
            )
        )
    assert [(entry.action, entry.actor_id) for entry in changes] == [
        ("coordinator_promoted", COORDINATOR_ID),
        ("coordinator_demoted", COORDINATOR_ID),
    ]


async def test_an_officer_cannot_make_themselves_coordinator(
    emulator: BotAPIEmulator, bot: RunningBot
) -> None:
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    _username, code = await coordinator.invite("menteng")
    officer = await Person.english(emulator, NEWCOMER, "Sari")
    welcome = await officer.command("/start", code, expect="You are now an officer")
    forged = OfficerCb(action="coordok", officer_id=NEWCOMER).pack()
    refused = await officer.user.press_data(forged, welcome.message_id)
    assert refused is not None and refused.show_alert
    assert refused.text == "Sorry, this is only for coordinators of the service."
    await role_is(bot, NEWCOMER, "officer")
    assert await count(bot, AuditLog, AuditLog.action == "coordinator_promoted") == 0


async def _has(menu: Callable[[], Awaitable[list[str]]], command: str) -> bool:
    return command in await menu()


async def _lacks(menu: Callable[[], Awaitable[list[str]]], command: str) -> bool:
    return command not in await menu()
