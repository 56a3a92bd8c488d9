"""Each update works in one database session: the conversation state is read once in it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot


async def test_each_step_reads_the_conversation_state_once(
    resident: Resident, bot: RunningBot
) -> None:
    """aiogram's FSM middleware reads the state before any handler. Run outside the update's
    session, that read took a session and a transaction of its own, and the handler read the
    state a second time."""
    await resident.start()
    statements: dict[str, int] = {"state reads": 0, "updates": 0}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if words[0].upper() == "SELECT" and "fsm_state" in statement:
            statements["state reads"] += 1
        elif words[:2] == ["UPDATE", "users"] and "unreachable_at" in statement:
            statements["updates"] += 1  # users.seen: once at the start of every update

    engine = bot.service.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await resident.begin_report()
        await resident.answer_until_description()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements["updates"] >= 5, statements
    # At most one read an update; it was two.
    assert 0 < statements["state reads"] <= statements["updates"], statements
