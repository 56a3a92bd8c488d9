"""An update that fails is tried again; one that fails every time is parked, with one
apology, a log line and a metric, and holds up nobody else."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.inbox import MAX_ATTEMPTS, RETRY_AFTER
from bot.ops import Operations
from playground.emulator import BotAPIEmulator
from services.clock import ManualClock
from storage.models import FsmState
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot
from tests.fixtures.statements import failing
from tests.fixtures.timeline import until
from tests.inbox.conftest import inbox

APOLOGY = (
    "Sorry, something went wrong on our side. What you entered so far is kept; "
    "please try again. If someone is in danger now, call 112."
)


async def test_an_update_failing_every_time_is_parked_with_one_apology(
    emulator: BotAPIEmulator,
    clocked_bot: RunningBot,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = clocked_bot.service
    siti = Resident(emulator.user(user_id=5601, first_name="Siti", language_code="en"), "en")
    await siti.start()
    await siti.begin_report()
    await siti.press("No")
    await siti.expect("<b>Who is making this report?</b>")
    # Saving Siti's answer fails, every time (a bug in her handler, say).
    caplog.set_level(logging.INFO, logger="bot.inbox")
    with failing(service, "INSERT INTO fsm_state", times=0) as attempts:
        # Not answered before the last attempt: the button's spinner turns meanwhile.
        await siti.user.press(siti.t("Witness"), timeout=0)
        # The first retry comes at once; the next ones after 2, 5 and 15 seconds.
        await until(lambda: _attempts(service, 2), "the second attempt")
        # Meanwhile someone else is answered at once, and so is nobody held up behind her.
        ana = emulator.user(user_id=5602, first_name="Ana", language_code="en")
        await ana.send_command("/bantuan")
        await ana.wait_for("/lapor")
        assert not [m for m in siti.user.chat.bot_messages() if m.text.startswith("Sorry")]
        for attempt, wait in zip(range(3, MAX_ATTEMPTS + 1), RETRY_AFTER[1:], strict=True):
            clock.advance(timedelta(seconds=wait * 1.25 + 0.1))
            service.inbox.wake()
            await until(lambda n=attempt: _attempts(service, n), f"attempt {attempt}")
        await siti.user.wait_for("Sorry, something went wrong on our side.")

    async def parked() -> bool:
        return "parked" in [row.status for row in await inbox(service)]

    await until(parked, "the update to be parked")
    assert len(attempts) == MAX_ATTEMPTS
    apologies = [m for m in siti.user.chat.bot_messages() if m.text == siti.t(APOLOGY)]
    assert len(apologies) == 1
    # Her draft is as it was: the same question is still the current one, and works now.
    await siti.press("Witness")
    await siti.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")

    [line] = [r.getMessage() for r in caplog.records if "parked" in r.getMessage()]
    assert "callback_query" in line and f"after {MAX_ATTEMPTS} attempts" in line
    assert "5601" not in caplog.text and "Witness" not in caplog.text
    metrics = (await Operations(service).exposition()).decode()
    assert "lapor_aman_inbox_parked_total 1.0" in metrics
    assert 'lapor_aman_inbox_updates{status="parked"} 1.0' in metrics
    assert f"lapor_aman_inbox_retried_total {MAX_ATTEMPTS - 1}.0" in metrics


async def test_a_persons_next_update_waits_for_the_retry_of_the_one_before(
    emulator: BotAPIEmulator, clocked_bot: RunningBot, clock: ManualClock
) -> None:
    """Her later message is not handled before the failed one is tried again: otherwise it
    would meet the conversation in the state from before."""
    service = clocked_bot.service
    siti = Resident(emulator.user(user_id=5603, first_name="Siti", language_code="en"), "en")
    await siti.start()
    await siti.begin_report()
    await siti.press("No")
    await siti.expect("<b>Who is making this report?</b>")
    with failing(service, "INSERT INTO fsm_state", times=2):
        await siti.user.press(siti.t("Witness"), timeout=0)
        await until(lambda: _attempts(service, 2), "the second attempt")
        await siti.user.send_command("/bantuan")

        async def stored() -> bool:
            return len(await inbox(service)) >= 2 and (await inbox(service))[-1].payload is not None

        await until(stored, "her next message in the inbox")
        clock.advance(timedelta(seconds=RETRY_AFTER[1] * 1.25 + 0.1))
        service.inbox.wake()
        await siti.user.wait_for("/lapor")
    texts = [m.text for m in siti.user.chat.bot_messages()]
    category = texts.index(next(t for t in texts if "What kind of incident" in t))
    help_ = texts.index(next(t for t in texts if "/lapor" in t and t is not texts[category]))
    assert category < help_, "her next message was answered before the failed one"


async def _attempts(service: Any, count: int) -> bool:
    """The failed update has been tried `count` times, and the last try is over."""
    rows = [row for row in await inbox(service) if row.status != "done"]
    return bool(rows) and rows[0].attempts == count and rows[0].claimed_by is None


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("INSERT INTO outbox", id="the handler"),
        pytest.param("UPDATE inbox SET person", id="marking it handled"),
    ],
)
async def test_a_failed_update_leaves_the_conversation_where_it_was(
    emulator: BotAPIEmulator, clocked_bot: RunningBot, clock: ManualClock, statement: str
) -> None:
    """The state and the draft are written at the end of the update, in its transaction: when
    the handler fails after changing them (queueing the next question), or the update fails
    after they were written (marking it handled), nothing of the step stays."""
    service = clocked_bot.service
    siti = Resident(emulator.user(user_id=5604, first_name="Siti", language_code="en"), "en")
    await siti.start()
    await siti.begin_report()
    await siti.press("No")
    await siti.expect("<b>Who is making this report?</b>")
    before = await _conversation(service)
    with failing(service, statement, times=2):
        await siti.user.press(siti.t("Witness"), timeout=0)
        # Tried twice (the first retry comes at once), the next try waits for the clock.
        await until(lambda: _attempts(service, 2), "the second attempt")
        assert await _conversation(service) == before
        assert before[0] == "ReportForm:relation"
        clock.advance(timedelta(seconds=RETRY_AFTER[1] * 1.25 + 0.1))
        service.inbox.wake()
        await siti.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    state, draft = await _conversation(service)
    assert state == "ReportForm:category"
    assert draft["relation"] is not None and before[1]["relation"] is None


async def _conversation(service: Any) -> tuple[str | None, dict[str, Any]]:
    """The one conversation's state and draft, as the next update would read them."""
    async with service.session_factory() as session:
        [(state, data)] = (await session.execute(select(FsmState.state, FsmState.data))).all()
    return state, data["draft"]
