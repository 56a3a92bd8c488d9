"""Staff replies go out after the update's commit.

On SQLite one update at a time holds the write lock, from its first write to its commit. An
officer's /piket or a coordinator's /undang writes (the duty override, the invitation); a reply
waiting out a 429 inside that transaction made the next Kirim, and so its alert, wait too. A
reply Telegram refuses after the commit leaves the change made, and the user is told.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from playground.emulator import BotAPIEmulator
from storage.models import RosterShift
from tests.cases.test_routing import NEIGHBOUR, OFFICER, staff
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import reporter_on_the_summary, taken_at, until
from tests.staff.people import Person, becomes

REPORTER = 5202


@pytest.mark.parametrize(
    ("member", "command", "args", "reply"),
    [
        # An officer of the next kelurahan goes off duty: the alert still goes to OFFICER.
        (NEIGHBOUR, "/piket", None, "/piket"),
        (COORDINATOR_ID, "/undang", "Menteng", "?start="),
    ],
    ids=["officer-piket", "coordinator-undang"],
)
async def test_an_alert_leaves_while_a_staff_reply_waits_out_a_429(
    bot: RunningBot,
    emulator: BotAPIEmulator,
    member: int,
    command: str,
    args: str | None,
    reply: str,
) -> None:
    await staff(bot, emulator)
    reporter = await reporter_on_the_summary(emulator, REPORTER)

    # Telegram answers the staff member's reply 429 with retry_after 3; the bot waits it out.
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await emulator.user(member).send_command(command, args)

    await until(lambda: emulator.stats[emulator.token]["429"] >= 1, "the 429", within=5)
    code = await reporter.send()
    await emulator.user(OFFICER).wait_for(code)
    await emulator.user(member).wait_for(reply)

    alert_at = taken_at(emulator, OFFICER, code)
    reply_at = taken_at(emulator, member, reply)
    assert alert_at < reply_at, "the alert waited for the staff member's reply"


async def test_a_shift_whose_confirmation_is_refused_is_kept_and_the_coordinator_told(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await staff(bot, emulator)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/jadwal", "Kalampangan", expect="Duty roster of Kalampangan")
    await coordinator.press("➕ Add a shift")
    await coordinator.user.wait_for("New shift for Kalampangan")

    emulator.fail_next("sendMessage", 400, "Bad Request: something unexpected")
    await coordinator.user.send_text(f"Senin 08:00-16:00 {OFFICER}")
    # "✅ Shift added." is refused; the roster after it still goes out, then the apology.
    roster = await coordinator.user.wait_for("Duty roster of Kalampangan")
    assert f"08:00–16:00 — Bu Rina ({OFFICER})" in roster.text
    await coordinator.user.wait_for("Sorry, something went wrong on our side.")
    await becomes(lambda: _shift_count(bot), 1)


async def _shift_count(bot: RunningBot) -> int:
    async with bot.service.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(RosterShift)) or 0)
