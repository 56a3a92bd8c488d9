"""The alert an officer receives, in the officer's language.

Everything a resident typed (description, landmark, name) is escaped: one unescaped `<` and
Telegram refuses the message, and the alert would be lost. A description too long for one
message continues in follow-up messages instead of being cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from services import case_buttons, labels
from services.i18n import plural_translator, translator
from services.text_limits import MESSAGE_LIMIT, quote, split_for_html, utf16_length
from storage.models import Report

# A continuation message: "<code> (continued)" and a newline, then the rest of the text.
_CONTINUATION_ROOM = MESSAGE_LIMIT - 64


@dataclass(frozen=True, slots=True)
class AlertText:
    first: str
    continuations: list[str]


def reporter_line(report: Report, _: Callable[[str], str]) -> str:
    if report.anonymous or not report.reporter_name:
        who = _("Anonymous")
    else:
        phone = quote(report.reporter_phone) if report.reporter_phone else _("no phone")
        who = f"{quote(report.reporter_name)} ({phone})"
    contact = (
        _("may be contacted through the bot")
        if report.contact_consent
        else _("did not agree to be contacted")
    )
    return f"{who}; {contact}"


def _default_title(
    report: Report, reminder: int, _: Callable[[str], str], handed_back: bool = False
) -> str:
    if reminder:
        return _("⏰ <b>Reminder {number}: report not taken yet</b>").format(number=reminder)
    if handed_back:
        # Its officer left the team (or its kelurahan) before the case was closed.
        return _("↩️ <b>Handed back: this report needs a new officer</b>")
    if report.urgent:
        return _("🚨 <b>URGENT REPORT: someone is in danger now</b>")
    return _("🔔 <b>New report</b>")


def alert_text(
    report: Report,
    language: str | None,
    tz: ZoneInfo,
    *,
    reminder: int = 0,
    title: str | None = None,
    preview: int | None = None,
    handed_back: bool = False,
) -> AlertText:
    """The alert for `report`: a first message with the header, and continuation messages."""
    _ = translator(language)
    title = title or _default_title(report, reminder, _, handed_back)
    kelurahan = report.kelurahan
    rows = [
        title,
        _("Code: <code>{code}</code>").format(code=report.code),
        _("Category: {category}").format(
            category=labels.label(_, labels.CATEGORY, report.category)
        ),
        _("Victim: {victim}, {age}").format(
            victim=labels.label(_, labels.VICTIM, report.victim),
            age=labels.label(_, labels.AGE, report.victim_age),
        ),
        _("Place: Kelurahan {kelurahan}, Kecamatan {kecamatan}").format(
            kelurahan=quote(kelurahan.name), kecamatan=quote(kelurahan.kecamatan.name)
        ),
    ]
    if report.landmark:
        rows.append(_("Landmark: {landmark}").format(landmark=quote(report.landmark)))
    if report.location:
        rows.append(_("Map location: sent below"))
    rows += [
        _("When: {when}").format(when=labels.label(_, labels.OCCURRED, report.occurred)),
        _("Reported: {at}").format(at=report.created_at.astimezone(tz).strftime("%d-%m-%Y %H:%M")),
        _("Reporter: {reporter}").format(reporter=reporter_line(report, _)),
    ]
    evidence = [item for item in report.evidence if not item.is_description]
    if evidence:
        ngettext = plural_translator(language)
        files = ngettext(
            "Evidence: {count} file, sent below",
            "Evidence: {count} files, sent below",
            len(evidence),
        )
        rows.append(files.format(count=len(evidence)))
    if any(item.is_description for item in report.evidence):
        rows.append(_("Voice note about what happened: sent below"))
    header = "\n".join(rows)
    heading = _("<b>What happened:</b>")
    description = (report.description or "").strip()
    if not description:
        return AlertText(f"{header}\n\n{heading}\n–", [])
    if preview is not None and len(description) > preview:
        # A case card shows the start; the full text came with the alert.
        shortened = description[:preview].rstrip() + " […]"
        return AlertText(f"{header}\n\n{heading}\n{quote(shortened)}", [])
    # The first message carries the header, so its share of the description is smaller.
    room = MESSAGE_LIMIT - utf16_length(header) - utf16_length(heading) - 4
    first_chunk, *_rest = split_for_html(description, room)
    more = split_for_html(description[len(first_chunk) :], _CONTINUATION_ROOM)
    continued = _("(continued)")
    return AlertText(
        f"{header}\n\n{heading}\n{quote(first_chunk)}",
        [f"<i>{report.code} {continued}</i>\n{quote(chunk)}" for chunk in more if chunk],
    )


def take_keyboard(report: Report, language: str | None) -> dict[str, object]:
    _ = translator(language)
    return {
        "inline_keyboard": [
            [
                case_buttons.button(
                    _("✅ Accept {code}").format(code=report.code), case_buttons.TAKE, report.id
                )
            ]
        ]
    }
