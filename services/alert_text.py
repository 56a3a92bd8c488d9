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
from services.choices import ABH, TPPO
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
    """Who reported, and exactly what they agreed to, per channel: a phone they shared was
    shared to be called on; messages through the bot are a question of their own."""
    if report.anonymous or not report.reporter_name:
        parts = [_("Anonymous")]
    else:
        parts = [quote(report.reporter_name)]
        if report.reporter_phone:
            parts.append(_("📞 {phone}, may be called").format(phone=quote(report.reporter_phone)))
        else:
            parts.append(_("no phone"))
    if report.contact_consent:
        parts.append(_("💬 agreed to messages through the bot"))
    else:
        parts.append(_("💬 no messages through the bot"))
    return "; ".join(parts)


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
    """The alert for `report`: a first message with the header, and continuation messages.

    With `preview` it is a case card's text: the description's start only, and what the
    alert sends below it (map pin, evidence) is named with the button that sends it."""
    _ = translator(language)
    title = title or _default_title(report, reminder, _, handed_back)
    header = "\n".join([title, *_facts(report, language, tz, card=preview is not None)])
    heading = _("<b>What happened:</b>")
    description = (report.description or "").strip()
    if not description:
        return AlertText(f"{header}\n\n{heading}\n–", [])
    if preview is not None and len(description) > preview:
        shortened = description[:preview].rstrip() + " […]"
        more = _("<i>The first {shown} of {total} characters: 📄 Full report shows all.</i>")
        more = more.format(shown=preview, total=len(description))
        return AlertText(f"{header}\n\n{heading}\n{quote(shortened)}\n{more}", [])
    # The first message carries the header, so its share of the description is smaller.
    room = MESSAGE_LIMIT - utf16_length(header) - utf16_length(heading) - 4
    first_chunk, *_rest = split_for_html(description, room)
    more_chunks = split_for_html(description[len(first_chunk) :], _CONTINUATION_ROOM)
    continued = _("(continued)")
    return AlertText(
        f"{header}\n\n{heading}\n{quote(first_chunk)}",
        [f"<i>{report.code} {continued}</i>\n{quote(chunk)}" for chunk in more_chunks if chunk],
    )


def _facts(report: Report, language: str | None, tz: ZoneInfo, *, card: bool) -> list[str]:
    """The header's lines after the title. An alert sends the map pin and the files below
    itself; a card names the button that sends them."""
    _ = translator(language)
    kelurahan = report.kelurahan
    rows = [
        _("Code: <code>{code}</code>").format(code=report.code),
        _("Category: {category}").format(
            category=labels.label(_, labels.CATEGORY, report.category)
        ),
        _victim_line(report, _),
        *category_lines(report, _),
        _("Place: Kelurahan {kelurahan}, Kecamatan {kecamatan}").format(
            kelurahan=quote(kelurahan.name), kecamatan=quote(kelurahan.kecamatan.name)
        ),
    ]
    if report.landmark:
        rows.append(_("Landmark: {landmark}").format(landmark=quote(report.landmark)))
    if report.location:
        rows.append(
            _("Map location: shared (📄 Full report sends it)")
            if card
            else _("Map location: sent below")
        )
    rows += [
        _("When: {when}").format(when=labels.label(_, labels.OCCURRED, report.occurred)),
        _("Reported: {at}").format(at=report.created_at.astimezone(tz).strftime("%d-%m-%Y %H:%M")),
        _("Reporter: {reporter}").format(reporter=reporter_line(report, _)),
    ]
    evidence = [item for item in report.evidence if not item.is_description]
    if evidence:
        ngettext = plural_translator(language)
        if card:
            files = ngettext(
                "Evidence: {count} file (📎 Evidence sends it again)",
                "Evidence: {count} files (📎 Evidence sends them again)",
                len(evidence),
            )
        else:
            files = ngettext(
                "Evidence: {count} file, sent below",
                "Evidence: {count} files, sent below",
                len(evidence),
            )
        rows.append(files.format(count=len(evidence)))
    if any(item.is_description for item in report.evidence):
        rows.append(
            _("Voice note about what happened: yes (📄 Full report sends it)")
            if card
            else _("Voice note about what happened: sent below")
        )
    return rows


def _victim_line(report: Report, _: Callable[[str], str]) -> str:
    person = {
        "victim": labels.label(_, labels.VICTIM, report.victim),
        "age": labels.label(_, labels.AGE, report.victim_age),
    }
    if report.category == ABH:  # about a child, who may be the offender or a witness
        return _("Child: {victim}, {age}").format(**person)
    return _("Victim: {victim}, {age}").format(**person)


def category_lines(report: Report, _: Callable[[str], str]) -> list[str]:
    """What only some categories ask (ABH: the child's role; TPPO: recruitment, where the
    person is held or works, a border crossed). The place is what the resident typed."""
    if report.category == ABH:
        return [
            _("Child's part: {role}").format(
                role=labels.label(_, labels.CHILD_ROLE, report.child_role)
            )
        ]
    if report.category != TPPO:
        return []
    return [
        _("Recruited through: {how}").format(
            how=labels.label(_, labels.RECRUITMENT, report.recruitment)
        ),
        _("Held or working at: {place}").format(
            place=quote(report.held_at) if report.held_at else "–"
        ),
        _("Taken across a border: {border}").format(
            border=labels.label(_, labels.BORDER, report.border)
        ),
    ]


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
