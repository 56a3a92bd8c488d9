"""The summary before sending (Kirim / Ubah / Batal) and the "what to change" menu."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations.callbacks import ReportCb
from conversations.report.keyboards import step_button
from conversations.report.questions import Prompt
from conversations.texts import (
    AGE_LABELS,
    BORDER_LABELS,
    CATEGORY_LABELS,
    CHILD_ROLE_LABELS,
    OCCURRED_LABELS,
    RECRUITMENT_LABELS,
    RELATION_LABELS,
    VICTIM_LABELS,
    label,
    quote,
)
from services.choices import ABH, TPPO
from services.gazetteer import Gazetteer
from services.report_draft import EDIT_GROUPS, Draft

# Long enough to recognise the story, short enough that the summary stays one message.
DESCRIPTION_PREVIEW = 1500

SEND = "send"
EDIT = "edit"
CANCEL = "cancel"
TO_SUMMARY = "__summary"


def _yes_no(value: bool | None) -> str:
    return _("Yes") if value else _("No")


def _place(draft: Draft, gazetteer: Gazetteer) -> str:
    kelurahan = gazetteer.kelurahan(draft.kelurahan_id) if draft.kelurahan_id else None
    kecamatan = gazetteer.kecamatan(draft.kecamatan_id) if draft.kecamatan_id else None
    if kelurahan is None or kecamatan is None:
        return "–"
    return _("Kelurahan {kelurahan}, Kecamatan {kecamatan}").format(
        kelurahan=quote(kelurahan.name), kecamatan=quote(kecamatan.name)
    )


def _description(draft: Draft) -> str:
    text = draft.description
    if len(text) > DESCRIPTION_PREVIEW:
        text = text[:DESCRIPTION_PREVIEW].rstrip() + " […]"
    parts = [quote(text)] if text else []
    if draft.description_voice is not None:
        parts.append(_("🎤 voice note"))
    return "\n".join(parts) or "–"


def files_text(count: int) -> str:
    if not count:
        return _("none")
    return ngettext("{count} file", "{count} files", count).format(count=count)


def _identity(draft: Draft) -> str:
    return _("Anonymous") if draft.anonymous else quote(draft.name or "")


def _phone_call(draft: Draft) -> str:
    if draft.anonymous or not draft.phone:
        return _("No")
    return _("Yes, at {phone}").format(phone=quote(draft.phone))


def _about(draft: Draft) -> list[tuple[str, str]]:
    """Who the report is about, and what only its category asks (ABH, TPPO)."""
    person = f"{label(VICTIM_LABELS, draft.victim)}, {label(AGE_LABELS, draft.victim_age)}"
    if draft.category == ABH:
        return [
            (_("Child"), person),
            (_("The child's part"), label(CHILD_ROLE_LABELS, draft.child_role)),
        ]
    rows = [(_("Victim"), person)]
    if draft.category == TPPO:
        rows += [
            (_("Recruited through"), label(RECRUITMENT_LABELS, draft.recruitment)),
            (_("Held or working at"), quote(draft.held_at) if draft.held_at else "–"),
            (_("Taken across a border"), label(BORDER_LABELS, draft.border)),
        ]
    return rows


def summary_text(draft: Draft, gazetteer: Gazetteer) -> str:
    rows = [
        (_("Someone in danger now"), _yes_no(draft.urgent)),
        (_("Reported by"), label(RELATION_LABELS, draft.relation)),
        (_("Category"), label(CATEGORY_LABELS, draft.category)),
        *_about(draft),
        (_("Place"), _place(draft, gazetteer)),
        (_("Landmark"), quote(draft.landmark) if draft.landmark else "–"),
        (_("Map location"), _("shared") if draft.location else _("not shared")),
        (_("When"), label(OCCURRED_LABELS, draft.occurred)),
        (_("Evidence"), files_text(len(draft.evidence))),
        (_("Identity"), _identity(draft)),
        # Each way of contact as agreed, the way the officer will read it.
        (_("An officer may call you"), _phone_call(draft)),
        (_("Messages in this chat"), _yes_no(draft.consent)),
    ]
    lines = [_("<b>Step 11 of 11 — please check your report</b>"), ""]
    lines += [f"<b>{name}:</b> {value}" for name, value in rows]
    # Not inside the f-string: Python 3.12+ and 3.11 would extract different messages.
    what_happened = _("What happened")
    lines += ["", f"<b>{what_happened}:</b>", _description(draft)]
    return "\n".join(lines)


def summary_keyboard() -> InlineKeyboardMarkup:
    # Rows built directly, as keyboards.choices explains.
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [step_button("summary", SEND, _("✅ Send"))],
            [
                step_button("summary", EDIT, _("✏️ Change")),
                step_button("summary", CANCEL, _("✖️ Cancel")),
            ],
        ]
    )


def summary_prompt(draft: Draft, gazetteer: Gazetteer) -> Prompt:
    return Prompt(summary_text(draft, gazetteer), summary_keyboard())


def edit_labels() -> dict[str, str]:
    return {
        "danger": _("Danger now"),
        "relation": _("Who is reporting"),
        "category": _("Category"),
        "victim": _("Victim"),
        "place": _("Place"),
        "occurred": _("When"),
        "description": _("What happened"),
        "evidence": _("Evidence"),
        "identity": _("Identity"),
        "consent": _("Follow-up"),
    }


def edit_prompt() -> Prompt:
    builder = InlineKeyboardBuilder()
    labels = edit_labels()
    for group in EDIT_GROUPS:
        builder.button(text=labels[group], callback_data=ReportCb(step="edit", value=group))
    builder.adjust(2)
    builder.row()
    builder.button(
        text=_("⬅️ Back to the summary"), callback_data=ReportCb(step="edit", value=TO_SUMMARY)
    )
    return Prompt(_("<b>What do you want to change?</b>"), builder.as_markup())
