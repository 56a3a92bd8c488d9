"""The resident's report while it is being written: its data and the order of its steps.

Kept free of aiogram so the rules (which step follows which, what "back" means while editing
from the summary) are tested without Telegram. The draft travels in the conversation state as
a plain dict, which the FSM storage encrypts at rest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from services.choices import (
    ABH,
    BORDERS,
    CATEGORIES,
    CHILD_ROLES,
    OCCURRED,
    RECRUITMENTS,
    RELATIONS,
    TPPO,
    ages_for,
    victims_for,
)

MAX_DESCRIPTION = 6000
MAX_LANDMARK = 200
MAX_HELD_AT = 200
MAX_NAME = 100
MAX_EVIDENCE = 10

STEPS = (
    "danger",
    "relation",
    "category",
    "victim",
    "victim_age",
    "child_role",
    "recruitment",
    "held_at",
    "border",
    "kecamatan",
    "kelurahan",
    "landmark",
    "location",
    "occurred",
    "description",
    "evidence",
    "identity",
    "name",
    "phone",
    "consent",
    "summary",
)

# Asked only for one category: ABH the child's role, TPPO how, where and across which border.
CATEGORY_STEPS: dict[str, str] = {
    "child_role": ABH,
    "recruitment": TPPO,
    "held_at": TPPO,
    "border": TPPO,
}

# What "Ubah" (edit) offers, and the steps each choice walks through before the summary.
EDIT_GROUPS: dict[str, tuple[str, ...]] = {
    "danger": ("danger",),
    "relation": ("relation",),
    "category": ("category",),
    "victim": ("victim", "victim_age", "child_role", "recruitment", "held_at", "border"),
    "place": ("kecamatan", "kelurahan", "landmark", "location"),
    "occurred": ("occurred",),
    "description": ("description",),
    "evidence": ("evidence",),
    "identity": ("identity", "name", "phone"),
    "consent": ("consent",),
}


@dataclass
class Attachment:
    """A Telegram file the resident sent, and what they wrote with it (its caption). Only the
    file id and the caption are stored with the report (services/reporting.py)."""

    kind: str
    file_id: str
    chat_id: int
    message_id: int
    caption: str | None = None


def _attachment_dict(item: Attachment) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


@dataclass
class Draft:
    draft_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    urgent: bool | None = None
    relation: str | None = None
    category: str | None = None
    victim: str | None = None
    victim_age: str | None = None
    child_role: str | None = None
    recruitment: str | None = None
    held_at: str | None = None
    border: str | None = None
    kecamatan_id: int | None = None
    kelurahan_id: int | None = None
    landmark: str | None = None
    location: dict[str, float] | None = None
    occurred: str | None = None
    description_parts: list[str] = field(default_factory=list)
    description_voice: Attachment | None = None
    evidence: list[Attachment] = field(default_factory=list)
    anonymous: bool | None = None
    name: str | None = None
    phone: str | None = None
    consent: bool | None = None
    # Steps visited, for the back button; and the edit group when editing from the summary.
    history: list[str] = field(default_factory=list)
    editing: str | None = None

    # --- (de)serialisation for the FSM storage -------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, without its deep copy of every value (each step
        # saves the draft): only the containers are new, so the dict shares nothing mutable.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["location"] = dict(self.location) if self.location is not None else None
        data["description_parts"] = list(self.description_parts)
        data["history"] = list(self.history)
        voice = self.description_voice
        data["description_voice"] = _attachment_dict(voice) if voice is not None else None
        data["evidence"] = [_attachment_dict(item) for item in self.evidence]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft:
        data = dict(data or {})
        voice = data.pop("description_voice", None)
        evidence = data.pop("evidence", None) or []
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        draft = cls(**known)
        draft.description_voice = Attachment(**voice) if voice else None
        draft.evidence = [Attachment(**item) for item in evidence]
        return draft

    # --- content ----------------------------------------------------------------------------
    @property
    def description(self) -> str:
        return "\n\n".join(self.description_parts)

    def answered_any(self) -> bool:
        """Whether any question was answered yet (the first one is "someone in danger?")."""
        return self.urgent is not None

    def has_description(self) -> bool:
        return bool(self.description_parts) or self.description_voice is not None

    def description_room(self) -> int:
        """Characters still allowed, counting the blank line that joins parts."""
        used = len(self.description) + (2 if self.description_parts else 0)
        return max(0, MAX_DESCRIPTION - used)

    def missing(self) -> list[str]:
        """Required steps not answered yet (what keeps Kirim from storing the report)."""
        required = {
            "danger": self.urgent is not None,
            "relation": self.relation in RELATIONS,
            "category": self.category in CATEGORIES,
            "victim": self.victim in victims_for(self.category),
            "victim_age": self.victim_age in ages_for(self.victim),
            "child_role": self.category != ABH or self.child_role in CHILD_ROLES,
            "recruitment": self.category != TPPO or self.recruitment in RECRUITMENTS,
            "border": self.category != TPPO or self.border in BORDERS,
            "kecamatan": self.kecamatan_id is not None,
            "kelurahan": self.kelurahan_id is not None,
            "occurred": self.occurred in OCCURRED,
            "description": self.has_description(),
            "identity": self.anonymous is not None,
            "name": self.anonymous is not False or bool(self.name),
            "consent": self.consent is not None,
        }
        return [step for step, ok in required.items() if not ok]


def asked(draft: Draft, step: str) -> bool:
    """Whether `step` is asked of this report (a category's own questions only for it)."""
    category = CATEGORY_STEPS.get(step)
    return category is None or draft.category == category


def linear_next(draft: Draft, step: str) -> str:
    """The step after `step` when filling the form from top to bottom."""
    if step == "identity" and draft.anonymous:
        return "consent"
    index = STEPS.index(step)
    following = STEPS[min(index + 1, len(STEPS) - 1)]
    return following if asked(draft, following) else linear_next(draft, following)


def next_step(draft: Draft, step: str) -> str:
    """Where to go after answering `step`; while editing, back to the summary after the group.
    A new category may ask what the old one did not (its own questions, or a child where an
    adult was the victim): then on through the victim's group first."""
    following = linear_next(draft, step)
    if draft.editing is None:
        return following
    group = EDIT_GROUPS.get(draft.editing, ())
    if following in group and following != "summary":
        return following
    if draft.editing == "category":
        about = EDIT_GROUPS["victim"]
        missing = [missed for missed in draft.missing() if missed in about]
        if missing:
            draft.editing = "victim"
            return min(missing, key=about.index)
    return "summary"


def forget_other_categories(draft: Draft) -> None:
    """The category changed: answers only another category asks are dropped."""
    if draft.category != ABH:
        draft.child_role = None
    if draft.category != TPPO:
        draft.recruitment = draft.held_at = draft.border = None


def enter(draft: Draft, current: str | None, target: str) -> None:
    """Record that we move forward from `current` to `target` (for the back button)."""
    if current is not None and current != target:
        draft.history.append(current)
    if target == "summary":
        draft.history.clear()
        draft.editing = None


def go_back(draft: Draft, current: str) -> str | None:
    """The step to show when the resident presses back; None when there is nothing before."""
    if draft.editing is not None and current == EDIT_GROUPS[draft.editing][0]:
        draft.editing = None
        draft.history.clear()
        return "summary"
    if not draft.history:
        return None
    return draft.history.pop()


def start_editing(draft: Draft, group: str) -> str:
    draft.editing = group
    draft.history.clear()
    return EDIT_GROUPS[group][0]
