"""One call to Telegram for a unit, counted in the budget, and what its answer means.

The call goes to the session's transport directly (`BotApiSession.call_json`: the payload
as JSON, the answer as JSON), past the request middlewares: RetryAfterMiddleware would sleep
out a 429 here and hold up every other chat with it (the sender pauses only the chat that was
told off and reschedules the row), and SentMessagesMiddleware would remember message ids in a
transaction of its own (the recorder remembers them where it marks the row sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.methods import GetMe

from bot.api_session import api_session
from bot.sending.budget import RateBudget, counts_against_limits
from bot.sending.claiming import Unit
from bot.sending.outcomes import (
    API_ERROR,
    BAD_REQUEST,
    INVALID_PAYLOAD,
    SENT,
    Outcome,
    classify,
    sent_outcome,
)
from bot.sending.payloads import PayloadError, api_call, method_name
from bot.sending.questions import LiveQuestions

log = logging.getLogger(__name__)


class TelegramCalls:
    def __init__(
        self,
        bot: Bot,
        budget: RateBudget,
        *,
        now: Callable[[], float],
        timeout: int,
        max_in_flight: int,
    ) -> None:
        self._bot = bot
        self._session = api_session(bot)
        self._budget = budget
        self._now = now
        self._timeout = timeout
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._questions = LiveQuestions()

    async def send(self, unit: Unit) -> Outcome:
        """The unit's call (a question first takes the buttons from the chat's question before:
        questions.py); for a reply's edit, what its payload says to do when Telegram refuses
        it (conversations/replies.py): send "or_else" instead, or let it go."""
        retire = self._questions.retire(unit.recipient, unit.chat, unit.payload)
        if retire is not None:
            self._questions.note(unit.recipient, retire, await self._call(unit, retire))
        outcome = await self._answer(unit)
        self._questions.note(unit.recipient, unit.payload, outcome)
        return outcome

    async def _answer(self, unit: Unit) -> Outcome:
        outcome = await self._call(unit, unit.payload)
        if outcome.status != BAD_REQUEST:
            return outcome
        fallback = unit.payload.get("or_else")
        if isinstance(fallback, dict):
            return await self._call(unit, {**fallback, "chat_id": unit.chat})
        if unit.payload.get("tolerate"):
            return Outcome(SENT, detail=f"let go: {outcome.detail}")
        return outcome

    async def _call(self, unit: Unit, payload: dict[str, Any]) -> Outcome:
        try:
            method, params = api_call(payload, unit.chat, paid_broadcast=unit.paid)
        except PayloadError as error:
            return Outcome(INVALID_PAYLOAD, detail=str(error))
        async with self._in_flight:
            # Counted when it leaves, not when it was planned: a send that waited here for a
            # free slot arrives that much later, and Telegram's window counts arrivals.
            # Counted at planning, the window emptied early and the next sends met Telegram's
            # window still full (429s, tests/delivery/test_paid_alerts.py).
            moment = self._now()
            counted = counts_against_limits(method_name(payload))
            if unit.paid:
                self._budget.take_paid(unit.recipient, moment)
            elif counted:
                self._budget.take(unit.recipient, moment, broadcast=unit.broadcast)
            try:
                result = await self._session.call_json(
                    self._bot, method, params, patience=self._timeout
                )
            except Exception as error:
                outcome = classify(error, payload)
                if outcome.status == API_ERROR:
                    log.error(
                        "Telegram refuses the bot (%s): check BOT_TOKEN and the API URL",
                        outcome.error_code,
                    )
                return outcome
            finally:
                if counted or unit.paid:
                    self._budget.answered(moment, self._now(), paid=unit.paid)
        return sent_outcome(result, payload, unit.chat)

    async def probe(self) -> bool:
        """Whether Telegram answers getMe: the one call that may be repeated at will."""
        try:
            await self._bot.session.make_request(self._bot, GetMe(), timeout=self._timeout)
        except Exception as error:
            # Any answer from Telegram itself (a 400, a 429) says it is there. A 401/404 counts
            # as failing: with a wrong token nothing could be sent anyway (`send` logs why).
            return not classify(error, {}).transient
        return True


__all__ = ["TelegramCalls"]
