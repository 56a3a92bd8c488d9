"""Callback data of the buttons on alerts and case cards, built where the outbox is written.

The format is aiogram's CallbackData packing ("k:<action>:<report id>:<value>:<version>"), so
the conversation layer parses it with `CaseCb` (conversations/callbacks.py); a test keeps both
in step. Buttons that change the case's state carry the version of the case their card showed
(models.Report.version): pressed after the case changed elsewhere, they change nothing.
"""

from __future__ import annotations

PREFIX = "k"

TAKE = "take"  # Terima
INFO = "info"  # a "taken by ..." placeholder button
HANDLING = "handling"  # status: ditangani
REFER = "refer"  # status: dirujuk (then the partner)
CLOSE = "close"  # status: selesai (then the outcome)
REOPEN = "reopen"  # a closed case: asks first
REOPEN_YES = "reopen_yes"  # ... and this reopens it
ASSIGN = "assign"  # a coordinator hands the case to an officer (then the officer)
NOTE = "note"
CONTACT = "contact"  # Hubungi pelapor
REPLY = "reply"  # the reporter answers a relayed message
OPEN = "open"  # show the case card (from /kasus)
FULL = "full"  # send the whole report: the description in pages, voice note, map pin
FILES = "files"  # send the evidence again
NOTES = "notes"  # send the notes written so far

PARTNER = "partner"  # the chosen referral partner (value)
OUTCOME = "outcome"  # the chosen closing outcome (value)
OFFICER = "officer"  # the officer chosen to hand the case to (value: their id)

# The actions that change the case's state: checked against its version when pressed.
CHANGES = frozenset({HANDLING, REFER, CLOSE, PARTNER, OUTCOME, REOPEN, REOPEN_YES, ASSIGN, OFFICER})


def pack(action: str, report_id: int, value: str = "", version: int | None = None) -> str:
    return f"{PREFIX}:{action}:{report_id}:{value}:{'' if version is None else version}"


def button(
    text: str, action: str, report_id: int, value: str = "", version: int | None = None
) -> dict[str, str]:
    return {"text": text, "callback_data": pack(action, report_id, value, version)}
