"""The case card: what an officer or a coordinator sees of a case, with the buttons they may use.

The buttons that change the case's state carry its version (services/case_buttons.py): a card
is a picture of the case at one moment, and a press from an older picture changes nothing.
Whoever may see the case can always read all of it (the whole description, the voice note,
the map pin, the evidence, the notes) from the card's reading buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services import case_buttons as cb
from services import labels
from services.alert_text import alert_text
from services.durations import time_ago
from services.i18n import plural_translator, translator
from services.text_limits import quote
from storage.models import Report

CARD_PREVIEW = 1200


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who a card is drawn for: the owner and the coordinators may change the case, and a
    coordinator may hand it to an officer; anyone else who may see it may read it."""

    may_change: bool
    coordinator: bool


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What a card shows besides the report row."""

    owner_name: str | None
    notes: int


def reported_text(report: Report, now: datetime, language: str | None) -> str:
    """`reported 3 hours ago`, `reported just now`: never "0 minutes ago"."""
    _ = translator(language)
    ago = time_ago(report.created_at, now, language)
    if ago is None:
        return _("reported just now")
    return _("reported {time_ago}").format(time_ago=ago)


def case_card(
    report: Report,
    language: str | None,
    tz: ZoneInfo,
    facts: CardFacts,
    now: datetime,
    viewer: Viewer,
) -> tuple[str, dict[str, Any] | None]:
    _ = translator(language)
    title = _("📁 <b>Case {code}</b> ({reported})").format(
        code=report.code, reported=reported_text(report, now, language)
    )
    body = alert_text(report, language, tz, title=title, preview=CARD_PREVIEW).first
    status = _("Status: <b>{status}</b>").format(
        status=labels.label(_, labels.STATUS, report.status)
    )
    lines = [body, "", status]
    if facts.owner_name:
        lines.append(_("Handled by: {name}").format(name=quote(facts.owner_name)))
    if report.referral_partner:
        lines.append(
            _("Referred to: {partner}").format(
                partner=labels.label(_, labels.PARTNER, report.referral_partner)
            )
        )
    if report.outcome:
        lines.append(
            _("Outcome: {outcome}").format(outcome=labels.label(_, labels.OUTCOME, report.outcome))
        )
    if facts.notes:
        ngettext = plural_translator(language)
        notes = ngettext(
            "Notes: {count} (🗒 Notes shows it)", "Notes: {count} (🗒 Notes shows them)", facts.notes
        )
        lines.append(notes.format(count=facts.notes))
    return "\n".join(lines), case_keyboard(report, language, viewer, facts.notes)


def case_keyboard(
    report: Report, language: str | None, viewer: Viewer, notes: int = 0
) -> dict[str, Any] | None:
    _ = translator(language)
    rows: list[list[dict[str, str]]] = []
    version = report.version
    if report.owner_id is None:
        rows.append([cb.button(_("✅ Accept {code}").format(code=report.code), cb.TAKE, report.id)])
    elif viewer.may_change and report.status == "selesai":
        rows.append([cb.button(_("🔓 Reopen"), cb.REOPEN, report.id, version=version)])
    elif viewer.may_change:
        rows.append(
            [
                cb.button(_("🛠 Handling"), cb.HANDLING, report.id, version=version),
                cb.button(_("↪️ Refer"), cb.REFER, report.id, version=version),
                cb.button(_("✔️ Close"), cb.CLOSE, report.id, version=version),
            ]
        )
    if report.owner_id is not None and viewer.may_change:
        rows.append(
            [
                cb.button(_("✍️ Write a note"), cb.NOTE, report.id),
                cb.button(_("💬 Contact the reporter"), cb.CONTACT, report.id),
            ]
        )
    rows.append(_reading_row(report, _, notes))
    if viewer.coordinator and report.status != "selesai":
        rows.append([cb.button(_("👥 Hand to an officer"), cb.ASSIGN, report.id, version=version)])
    return {"inline_keyboard": rows}


def _reading_row(report: Report, _: Any, notes: int) -> list[dict[str, str]]:
    """Read all of the case: always the whole report; the evidence and notes when there are."""
    row = [cb.button(_("📄 Full report"), cb.FULL, report.id)]
    files = sum(not item.is_description for item in report.evidence)
    if files:
        row.append(cb.button(_("📎 Evidence ({count})").format(count=files), cb.FILES, report.id))
    if notes:
        row.append(cb.button(_("🗒 Notes ({count})").format(count=notes), cb.NOTES, report.id))
    return row


def choice_keyboard(
    report: Report, language: str | None, action: str, table: dict[str, str]
) -> dict[str, Any]:
    """Partner (for Refer) or outcome (for Close) buttons, and a way back to the card. The
    choice changes the case: it carries the version the card showed."""
    _ = translator(language)
    rows = [
        [cb.button(_(text), action, report.id, code, version=report.version)]
        for code, text in table.items()
    ]
    rows.append([cb.button(_("⬅️ Back"), cb.OPEN, report.id)])
    return {"inline_keyboard": rows}


def reopen_question(report: Report, language: str | None) -> tuple[str, dict[str, Any]]:
    """Reopening a closed case is asked first: a slip of the thumb must not undo a close."""
    _ = translator(language)
    text = "\n".join(
        [
            "🔓 <b>" + _("Reopen case <code>{code}</code>?").format(code=report.code) + "</b>",
            _(
                "It was closed with the outcome: {outcome}. Reopened, it is “{status}” again, "
                "the reporter is told, and reminders start again."
            ).format(
                outcome=labels.label(_, labels.OUTCOME, report.outcome),
                status=labels.label(_, labels.STATUS, "ditangani"),
            ),
        ]
    )
    keyboard = {
        "inline_keyboard": [
            [cb.button(_("Yes, reopen it"), cb.REOPEN_YES, report.id, version=report.version)],
            [cb.button(_("No, keep it closed"), cb.OPEN, report.id)],
        ]
    }
    return text, keyboard
