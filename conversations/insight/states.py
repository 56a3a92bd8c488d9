"""The one place a coordinator types in these conversations: a custom period."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class InsightForm(StatesGroup):
    # "Other period…" pressed: waiting for "01-10-2026 31-10-2026"; data: tool.
    period = State()
