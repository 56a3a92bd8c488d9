"""States of the /siaran wizard where the coordinator types or sends something."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class BroadcastForm(StatesGroup):
    # /siaran: waiting for the message to broadcast (text, photo, video or document).
    compose = State()
    # "🕒 Schedule": waiting for a local date and time; data: broadcast_id.
    when = State()
