"""What users read for each stored code, and the texts shared by several conversations.

The label tables live in services/labels.py (the outbox texts need them too); here they are
translated in the language of the update being handled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from html import escape

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from services import labels
from services.durations import duration_text

RELATION_LABELS = labels.RELATION
CATEGORY_LABELS = labels.CATEGORY
VICTIM_LABELS = labels.VICTIM
AGE_LABELS = labels.AGE
OCCURRED_LABELS = labels.OCCURRED
STATUS_LABELS = labels.STATUS
EVIDENCE_LABELS = labels.EVIDENCE
CHILD_ROLE_LABELS = labels.CHILD_ROLE
RECRUITMENT_LABELS = labels.RECRUITMENT
BORDER_LABELS = labels.BORDER


def label(table: Mapping[str, str], code: str | None) -> str:
    """The label of a stored code in the language of the current update."""
    return labels.label(_, table, code)


def emergency_text(numbers: list[str]) -> str:
    lines = "\n".join(f"• <b>{escape(number)}</b>" for number in numbers)
    return _(
        "🆘 <b>If someone is in danger now, call for help immediately:</b>\n{numbers}\n\n"
        "These numbers are free and answer 24 hours a day."
    ).format(numbers=lines)


def quote(text: str) -> str:
    """User-written text, safe inside an HTML-formatted message."""
    return escape(text, quote=False)


def duration(value: timedelta | float | None) -> str:
    """A duration in words in the language of the current update: `10 jam 30 menit`."""
    return duration_text(value, get_i18n().current_locale)
