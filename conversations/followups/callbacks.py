"""Callback data of the follow-up buttons, built as plain strings by services/followups.py
(`pack`) when the check-in is written to the outbox; a test keeps both in step."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from services import followups


class FollowupCb(CallbackData, prefix=followups.PREFIX):
    action: str  # followups.OPEN or one of followups.ANSWERS
    report_id: int
    round: int
