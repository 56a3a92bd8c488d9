"""What users read for each stored code, and the texts shared by several conversations.

Labels are lazy (`__`) so they are translated when used, in the language of the update being
handled. They must be turned into `str` before going into a Telegram object.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

RELATION_LABELS = {
    "victim": __("I am the victim"),
    "family": __("Family member"),
    "witness": __("Witness"),
    "companion": __("Companion / social worker"),
    "other": __("Other"),
}
CATEGORY_LABELS = {
    "physical": __("Physical violence"),
    "psychological": __("Psychological violence"),
    "sexual": __("Sexual violence"),
    "exploitation": __("Exploitation"),
    "trafficking": __("Human trafficking (TPPO)"),
    "neglect": __("Neglect"),
    "child_in_conflict": __("Child in conflict with the law (ABH)"),
    "other": __("Other"),
}
VICTIM_LABELS = {
    "adult_woman": __("Adult woman"),
    "girl": __("Girl"),
    "boy": __("Boy"),
    "other": __("Other"),
}
AGE_LABELS = {
    "0-5": __("0–5 years"),
    "6-12": __("6–12 years"),
    "13-17": __("13–17 years"),
    "18-24": __("18–24 years"),
    "25-44": __("25–44 years"),
    "45-59": __("45–59 years"),
    "60+": __("60 years or older"),
    "unknown": __("Don't know"),
}
OCCURRED_LABELS = {
    "ongoing": __("Happening now"),
    "today": __("Today"),
    "yesterday": __("Yesterday"),
    "this_week": __("This week"),
    "earlier": __("Earlier"),
}
STATUS_LABELS = {
    "baru": __("Received, waiting for an officer"),
    "diterima": __("Taken by an officer"),
    "ditangani": __("Being handled"),
    "dirujuk": __("Referred to a partner service"),
    "selesai": __("Closed"),
}
EVIDENCE_LABELS = {
    "photo": __("photo"),
    "video": __("video"),
    "voice": __("voice note"),
    "audio": __("audio"),
    "document": __("document"),
    "video_note": __("video message"),
}


def label(labels: Mapping[str, object], code: str | None) -> str:
    return str(labels.get(code or "", code or "–"))


def emergency_text(numbers: list[str]) -> str:
    lines = "\n".join(f"• <b>{escape(number)}</b>" for number in numbers)
    return _(
        "🆘 <b>If someone is in danger now, call for help immediately:</b>\n{numbers}\n\n"
        "These numbers are free and answer 24 hours a day."
    ).format(numbers=lines)


def quote(text: str) -> str:
    """User-written text, safe inside an HTML-formatted message."""
    return escape(text, quote=False)
