"""Each update works in one database session: the conversation state is read once in it,
and written once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import select

from conversations.report.states import ReportForm
from playground.emulator import BotAPIEmulator
from storage import sqlite_driver
from storage.db import is_sqlite
from storage.models import FsmState
from tests.conversations.resident import Resident
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.statements import watching
from tests.staff.people import Person


async def test_each_step_reads_the_conversation_state_once(
    resident: Resident, bot: RunningBot
) -> None:
    """aiogram's FSM middleware reads the state before any handler. Run outside the update's
    session, that read took a session and a transaction of its own, and the handler read the
    state a second time. Now the update reads its person and its conversation's row in one
    statement, and nothing reads the row again."""
    await resident.start()
    statements: dict[str, int] = {"person and state": 0, "state alone": 0, "person alone": 0}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = " ".join(statement.split())
        if not words.upper().startswith("SELECT"):
            return
        person = "FROM users LEFT OUTER JOIN fsm_state" in words or "FROM users WHERE" in words
        state = "fsm_state" in words
        if person and state:
            statements["person and state"] += 1
        elif state:
            statements["state alone"] += 1
        elif person and "WHERE users.id IN" in words:
            statements["person alone"] += 1

    with watching(bot.service, count):
        await resident.begin_report()
        await resident.answer_until_description()
    # Once at the start of every update (about a dozen here), and no other read of either.
    assert statements["person and state"] >= 5, statements
    assert statements["state alone"] == 0 and statements["person alone"] == 0, statements


def _fsm_writes(statement: str) -> str | None:
    words = statement.split()
    if words and words[0].upper() in {"INSERT", "UPDATE", "DELETE"} and "fsm_state" in statement:
        return words[0].upper()
    return None


async def test_each_step_writes_the_conversation_once(resident: Resident, bot: RunningBot) -> None:
    """A step of the report sets the state and saves the draft: one statement on the
    conversation's row per update (it was two upserts of the same row)."""
    await resident.start()
    await resident.begin_report()
    writes: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = _fsm_writes(statement)
        if verb is not None:
            writes.append(verb)

    steps = [
        ("No", "<b>Who is making this report?</b>"),
        ("Witness", "<b>What kind of incident is it?</b>\nChoose the one that fits best."),
        ("Sexual violence", "<b>Who is the victim?</b>"),
    ]
    with watching(bot.service, count):
        for button, question in steps:
            writes.clear()
            await resident.press(button)
            await resident.expect(question)
            # The reply goes out after the commit: the update's statements are all in.
            assert writes == ["INSERT"], (button, writes)


async def test_a_step_keeps_both_the_state_and_the_draft(
    resident: Resident, bot: RunningBot
) -> None:
    """Written once at the end of the update, the row still holds both halves: the next
    update (here read as a restarted bot would) finds the question and the answers."""
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")

    async with bot.service.session_factory() as session:
        [(state, data)] = (await session.execute(select(FsmState.state, FsmState.data))).all()
    assert state == ReportForm.category.state
    draft = data["draft"]
    assert draft["urgent"] is False and draft["relation"] is not None
    assert draft["history"][-2:] == ["danger", "relation"]


async def test_a_steps_replies_are_queued_in_one_statement(
    resident: Resident, bot: RunningBot
) -> None:
    """A press answers with two replies (the question edited to show the choice, the next
    question): both outbox rows go in with one INSERT (it was one each), and arrive in the
    order they were said."""
    await resident.start()
    await resident.begin_report()
    inserts: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.startswith("INSERT INTO outbox"):
            inserts.append(len(parameters) if isinstance(parameters, list) else 1)

    with watching(bot.service, count):
        await resident.press("No")
        await resident.expect("<b>Who is making this report?</b>")
    assert inserts == [2], inserts
    # The next question is the chat's last message: it was not queued before the edit.
    last = resident.user.chat.bot_messages()[-1]
    assert "Siapa yang membuat laporan ini?" in (last.text or "")


async def test_no_update_hands_work_to_a_thread(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiogram runs a filter or handler that is not a coroutine (a bare `F` expression, a
    `State` given as a filter) through `asyncio.to_thread`: a thread's round trip, about 0.1 ms
    of CPU, for every check of every update that reaches it. A whole report, typed answers
    included, and a coordinator's commands check every router's filters without one."""
    handed: list[str] = []
    to_thread = asyncio.to_thread

    async def watched(work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        handed.append(repr(getattr(work, "func", work)))
        return await to_thread(work, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", watched)
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description(landmark="Dekat sekolah")
    await resident.describe("Tetangga saya dipukul.")
    await resident.finish_anonymously()
    await resident.send()
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/jadwal", "Kalampangan", expect="Duty roster of Kalampangan")
    await coordinator.command("/kasus", expect="")
    await coordinator.say("halo", expect="")
    assert handed == []


async def test_an_updates_statements_run_on_the_event_loop_on_sqlite(
    resident: Resident, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite an update's transaction holds the write turn, and its statements run on the
    event loop's thread: a trip to aiosqlite's thread for each cost more CPU than the
    statement. Only its commit goes there (storage/sqlite_driver.py)."""
    if not is_sqlite(bot.service.settings.database_url):
        pytest.skip("PostgreSQL's driver has no thread to go to")
    in_thread: list[str] = []
    execute = aiosqlite.Connection._execute

    async def watched(self: aiosqlite.Connection, work: Any, *args: Any, **kw: Any) -> Any:
        in_thread.append(str(args[1]) if work is sqlite_driver._run else work.__name__)
        return await execute(self, work, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", watched)
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.press("Witness")
    assert "commit" in in_thread
    # The person and the conversation's row, read and written by every update, never there.
    assert not [statement for statement in in_thread if "fsm_state" in statement], in_thread
