"""Callback data of the buttons on alerts and case cards, built where the outbox is written.

The format is aiogram's CallbackData packing ("k:<action>:<report id>:<value>"), so the conversation
layer parses it with `CaseCb` (conversations/callbacks.py); a test keeps both in step.
"""

from __future__ import annotations

PREFIX = "k"

TAKE = "take"  # Terima
INFO = "info"  # a "taken by ..." placeholder button
HANDLING = "handling"  # status: ditangani
REFER = "refer"  # status: dirujuk (then the partner)
CLOSE = "close"  # status: selesai (then the outcome)
NOTE = "note"
CONTACT = "contact"  # Hubungi pelapor
REPLY = "reply"  # the reporter answers a relayed message
OPEN = "open"  # show the case card (from /kasus)


PARTNER = "partner"  # the chosen referral partner (value)
OUTCOME = "outcome"  # the chosen closing outcome (value)


def pack(action: str, report_id: int, value: str = "") -> str:
    return f"{PREFIX}:{action}:{report_id}:{value}"


def button(text: str, action: str, report_id: int, value: str = "") -> dict[str, str]:
    return {"text": text, "callback_data": pack(action, report_id, value)}
