"""An alert being sent while another officer takes the case still learns who took it.

Terima edits the alerts already sent ("taken by …") and the sender's record of an alert
that lands afterwards does the same. On PostgreSQL the two run at once: the record read no
owner yet while the Terima, not committed, read the alert as not yet sent, and neither
edited it (tests/cases/test_hand_back.py failed about one run in eight that way). SQLite
has one writer, so there they cannot interleave.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from playground.emulator import BotAPIEmulator
from services.cases import take_case
from storage.models import OutboxMessage
from tests.cases.staffing import add_officer, file_report
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import until

RINA, ANDI = 3301, 3302


@pytest.fixture
def on_postgres(database_url: str) -> None:
    """Asked for before the bot: on SQLite the test is skipped without starting one."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has one writer: a record and a Terima cannot interleave there")


async def test_an_alert_landing_during_a_terima_is_edited_to_say_who_took_it(
    on_postgres: None, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    for user_id in (RINA, ANDI):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await add_officer(bot.service, ANDI, "Kalampangan", name="Pak Andi")
    # Rina's alert reaches her chat, but the sender is not told yet: it is being sent.
    hold = emulator.hold_answers("sendMessage", chat_id=RINA)
    report_id, code = await file_report(bot.service, "Kalampangan")
    await emulator.user(ANDI).wait_for(code)
    await emulator.user(RINA).wait_for(code)
    await hold.reached.wait()

    sessions = bot.service.session_factory
    async with sessions() as terima, terima.begin():
        # Andi's Terima, up to its commit: Rina's alert is not sent yet as far as it knows.
        taken = await take_case(terima, report_id, ANDI, bot.service.clock.now(), None)
        assert taken.won
        terima_pid = await terima.scalar(text("SELECT pg_backend_pid()"))
        hold.release()  # the sender now records Rina's alert, while the Terima is open

        async def recorded_or_waiting() -> bool:
            async with sessions() as look:
                status = await look.scalar(
                    select(OutboxMessage.status).where(
                        OutboxMessage.report_id == report_id,
                        OutboxMessage.recipient_id == RINA,
                        OutboxMessage.kind == "alert",
                    )
                )
                # Something waits for the Terima's transaction (the record, for the report).
                waiting = await look.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks"
                        " WHERE NOT granted AND :terima = ANY(pg_blocking_pids(pid))"
                    ),
                    {"terima": terima_pid},
                )
            return status == "sent" or bool(waiting)

        await until(recorded_or_waiting, "the alert recorded, or a wait on the Terima", within=5)
    await emulator.user(RINA).wait_for("diambil oleh Pak Andi")
