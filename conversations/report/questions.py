"""The question shown for each step: its text and its buttons, in the user's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from conversations.report import keyboards as kb
from conversations.texts import (
    AGE_LABELS,
    BORDER_LABELS,
    CATEGORY_LABELS,
    CHILD_ROLE_LABELS,
    OCCURRED_LABELS,
    RECRUITMENT_LABELS,
    RELATION_LABELS,
    VICTIM_LABELS,
)
from services.choices import (
    ABH,
    BORDERS,
    CATEGORIES,
    CHILD_ROLES,
    OCCURRED,
    RECRUITMENTS,
    RELATIONS,
    ages_for,
    victims_for,
)
from services.gazetteer import Gazetteer
from services.report_draft import MAX_EVIDENCE, Draft

# Step numbers as the resident sees them ("Step 5 of 11"): questions that belong together
# (the victim and their age, the place) share a number.
STEP_NUMBER = {
    "danger": 1,
    "relation": 2,
    "category": 3,
    "victim": 4,
    "victim_age": 4,
    # A category's own questions (ABH, TPPO) belong with the person the report is about.
    "child_role": 4,
    "recruitment": 4,
    "held_at": 4,
    "border": 4,
    "kecamatan": 5,
    "kelurahan": 5,
    "landmark": 5,
    "location": 5,
    "occurred": 6,
    "description": 7,
    "evidence": 8,
    "identity": 9,
    "name": 9,
    "phone": 9,
    "consent": 10,
    "summary": 11,
}
TOTAL_STEPS = 11

DONE = "done"
SKIP = "skip"


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    markup: Markup | None


def _header(step: str) -> str:
    return _("<i>Step {number} of {total}</i>").format(number=STEP_NUMBER[step], total=TOTAL_STEPS)


def _labelled(codes: tuple[str, ...], labels: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(code, _(labels[code])) for code in codes]


def question(step: str, draft: Draft, gazetteer: Gazetteer) -> Prompt:
    """The prompt for `step`; the summary is rendered elsewhere (summary.py)."""
    builder = _BUILDERS[step]
    text, markup = builder(draft, gazetteer)
    return Prompt(f"{_header(step)}\n{text}", markup)


def _danger(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    options = [("yes", _("Yes, someone is in danger")), ("no", _("No"))]
    return _("<b>Is anyone in danger right now?</b>"), kb.choices("danger", options, back=False)


def _relation(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _("<b>Who is making this report?</b>"),
        kb.choices("relation", _labelled(RELATIONS, RELATION_LABELS)),
    )


def _category(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _("<b>What kind of incident is it?</b>\nChoose the one that fits best."),
        kb.choices("category", _labelled(CATEGORIES, CATEGORY_LABELS)),
    )


def _victim(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    # ABH is about a child, who is not always the victim (UU SPPA: offender, victim, witness).
    if draft.category == ABH:
        text = _("<b>About the child: a girl or a boy?</b>")
    else:
        text = _("<b>Who is the victim?</b>")
    return (
        text,
        kb.choices("victim", _labelled(victims_for(draft.category), VICTIM_LABELS), columns=2),
    )


def _victim_age(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    if draft.category == ABH:
        text = _("<b>About how old is the child?</b>")
    else:
        text = _("<b>About how old is the victim?</b>")
    return (
        text,
        kb.choices("victim_age", _labelled(ages_for(draft.victim), AGE_LABELS), columns=2),
    )


def _child_role(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _("<b>What is the child's part in what happened?</b>"),
        kb.choices("child_role", _labelled(CHILD_ROLES, CHILD_ROLE_LABELS)),
    )


def _recruitment(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _("<b>How was the person recruited or brought in?</b>\nChoose the one that fits best."),
        kb.choices("recruitment", _labelled(RECRUITMENTS, RECRUITMENT_LABELS)),
    )


def _held_at(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _(
            "<b>Where is the person held or working now?</b>\n"
            "For example a city, a company, a boat or an address. Type it, or skip if you "
            "don't know."
        ),
        kb.choices("held_at", [(SKIP, kb.skip_label())]),
    )


def _border(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _("<b>Was the person taken across a border?</b>"),
        kb.choices("border", _labelled(BORDERS, BORDER_LABELS)),
    )


def _kecamatan(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    options = [(str(place.id), place.name) for place in gazetteer.kecamatan_list()]
    return (
        _("<b>Where did it happen?</b>\nChoose the kecamatan, or type its name."),
        kb.choices("kecamatan", options, columns=2),
    )


def _kelurahan(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    assert draft.kecamatan_id is not None
    options = [(str(place.id), place.name) for place in gazetteer.kelurahan_of(draft.kecamatan_id)]
    return (
        _("<b>Which kelurahan?</b>\nChoose one, or type its name."),
        kb.choices("kelurahan", options, columns=2),
    )


def _landmark(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _(
            "<b>Is there a landmark or address that helps find the place?</b>\n"
            "For example a street, RT/RW, a school or a shop. Type it, or skip."
        ),
        kb.choices("landmark", [(SKIP, kb.skip_label())]),
    )


def _location(draft: Draft, gazetteer: Gazetteer) -> tuple[str, ReplyKeyboardMarkup]:
    return (
        _(
            "<b>Do you want to share the location on a map?</b>\n"
            "Only if it is safe for you. Press the button below, or skip."
        ),
        kb.location_keyboard(),
    )


def _occurred(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return (
        _("<b>When did it happen?</b>"),
        kb.choices("occurred", _labelled(OCCURRED, OCCURRED_LABELS), columns=2),
    )


def _description(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "<b>Please tell us what happened, in your own words.</b>\n"
        "You can write several messages, or send a voice note if typing is hard. "
        "Press <b>Done</b> when you have finished."
    )
    extra = [(DONE, _("✅ Done"))] if draft.has_description() else []
    return text, kb.choices("description", [], extra=extra)


def _evidence(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "<b>Do you have photos, videos, voice notes or documents?</b>\n"
        "This is optional. Send up to {limit} files only if it is safe, then press Done."
    ).format(limit=MAX_EVIDENCE)
    if draft.evidence:
        action = (DONE, evidence_done_label(len(draft.evidence)))
    else:
        action = (SKIP, kb.skip_label())
    return text, kb.choices("evidence", [], extra=[action])


def evidence_done_label(count: int) -> str:
    return ngettext("✅ Done ({count} file)", "✅ Done ({count} files)", count).format(count=count)


def _identity(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    options = [
        ("anonymous", _("🕶 Anonymous")),
        ("named", _("🙋 With my name")),
    ]
    return (
        _(
            "<b>Do you want to report anonymously?</b>\n"
            "Anonymous: we store no name, username or phone number with the report, and the "
            'officer sees "Anonymous".'
        ),
        kb.choices("identity", options),
    )


def _name(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    return _("<b>What is your name?</b>\nType it below."), kb.choices("name", [])


def _phone(draft: Draft, gazetteer: Gazetteer) -> tuple[str, ReplyKeyboardMarkup]:
    # One question per channel: this one is about a phone call only (the chat is asked next).
    return (
        _(
            "<b>May an officer call you?</b>\n"
            "If so, share your phone number with the button below: it is used only to call "
            "you about this report. If not, skip: nobody will call you."
        ),
        kb.phone_keyboard(),
    )


def _consent(draft: Draft, gazetteer: Gazetteer) -> tuple[str, InlineKeyboardMarkup]:
    options = [("yes", _("Yes, write to me here")), ("no", _("No"))]
    text = _(
        "<b>May we write to you here, in this chat?</b>\n"
        "For example when an officer takes your report or has a question. If you choose No, "
        "the report keeps no link to this chat: your tracking code will be the only way to "
        "check on it."
    )
    if draft.phone and not draft.anonymous:
        text += "\n" + _("This is apart from the phone: an officer may call you either way.")
    return text, kb.choices("consent", options)


_BUILDERS: dict[str, Callable[[Draft, Gazetteer], tuple[str, Markup]]] = {
    "danger": _danger,
    "relation": _relation,
    "category": _category,
    "victim": _victim,
    "victim_age": _victim_age,
    "child_role": _child_role,
    "recruitment": _recruitment,
    "held_at": _held_at,
    "border": _border,
    "kecamatan": _kecamatan,
    "kelurahan": _kelurahan,
    "landmark": _landmark,
    "location": _location,
    "occurred": _occurred,
    "description": _description,
    "evidence": _evidence,
    "identity": _identity,
    "name": _name,
    "phone": _phone,
    "consent": _consent,
}
