"""The case card: what the owner (or a coordinator) sees of a case, with its action buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services import case_buttons as cb
from services import labels
from services.alert_text import alert_text
from services.durations import time_ago
from services.i18n import translator
from services.text_limits import quote
from storage.models import Report

CARD_PREVIEW = 1200


def reported_text(report: Report, now: datetime, language: str | None) -> str:
    """`reported 3 hours ago`, `reported just now`: never "0 minutes ago"."""
    _ = translator(language)
    ago = time_ago(report.created_at, now, language)
    if ago is None:
        return _("reported just now")
    return _("reported {time_ago}").format(time_ago=ago)


def case_card(
    report: Report, language: str | None, tz: ZoneInfo, owner_name: str | None, now: datetime
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
    if owner_name:
        lines.append(_("Handled by: {name}").format(name=quote(owner_name)))
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
    return "\n".join(lines), case_keyboard(report, language)


def case_keyboard(report: Report, language: str | None) -> dict[str, Any] | None:
    _ = translator(language)
    if report.owner_id is None:
        return {
            "inline_keyboard": [
                [cb.button(_("✅ Accept {code}").format(code=report.code), cb.TAKE, report.id)]
            ]
        }
    if report.status == "selesai":
        return None
    return {
        "inline_keyboard": [
            [
                cb.button(_("🛠 Handling"), cb.HANDLING, report.id),
                cb.button(_("↪️ Refer"), cb.REFER, report.id),
                cb.button(_("✔️ Close"), cb.CLOSE, report.id),
            ],
            [
                cb.button(_("📝 Note"), cb.NOTE, report.id),
                cb.button(_("💬 Contact the reporter"), cb.CONTACT, report.id),
            ],
        ]
    }


def choice_keyboard(
    report: Report, language: str | None, action: str, table: dict[str, str]
) -> dict[str, Any]:
    """Partner (for Refer) or outcome (for Close) buttons, and a way back to the card."""
    _ = translator(language)
    rows = [[cb.button(_(text), action, report.id, code)] for code, text in table.items()]
    rows.append([cb.button(_("⬅️ Back"), cb.OPEN, report.id)])
    return {"inline_keyboard": rows}
