"""One question with buttons per chat: a message queued as a question takes the buttons away
from the question sent to that chat before it.

A report's question is a reply like any other (conversations/report/live.py): queued in the
update, sent after its commit, so the update that asks the next question cannot know the
previous one's message id, and may run while that one is still on its way. The sender can:
it sends a chat's rows in order, and remembers the last question it sent to each chat. A
restart forgets that, and at worst one old question keeps its buttons (pressing them is
refused: the report checks every button against its current step).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bot.sending.outcomes import SENT, Outcome
from bot.sending.payloads import is_edit

# The payload flag (conversations/replies.py, QUESTION).
QUESTION = "question"
# Chats remembered; the oldest is forgotten first (a conversation long over).
_KEPT = 10_000


class LiveQuestions:
    def __init__(self) -> None:
        self._live: OrderedDict[int, int] = OrderedDict()

    def retire(
        self, recipient: int, chat_id: int, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Before a question goes to the chat: the edit that takes the buttons from the one
        before (None if there is none)."""
        if not payload.get(QUESTION):
            return None
        previous = self._live.pop(recipient, None)
        if previous is None:
            return None
        params = {"chat_id": chat_id, "message_id": previous, "reply_markup": None}
        return {"method": "editMessageReplyMarkup", "params": params, "tolerate": True}

    def note(self, recipient: int, payload: dict[str, Any], outcome: Outcome) -> None:
        """After a call: a question sent is the chat's live one; an edit that took the live
        question's buttons (its answer shown in place) leaves none to take."""
        if outcome.status != SENT:
            return
        if payload.get(QUESTION) and outcome.message_id is not None:
            self._live[recipient] = outcome.message_id
            self._live.move_to_end(recipient)
            while len(self._live) > _KEPT:
                self._live.popitem(last=False)
            return
        params = payload.get("params") or {}
        if (
            is_edit(payload)
            and params.get("reply_markup") is None
            and (self._live.get(recipient) == params.get("message_id"))
        ):
            self._live.pop(recipient, None)


__all__ = ["QUESTION", "LiveQuestions"]
