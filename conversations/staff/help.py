"""What /start and /bantuan tell officers and coordinators: their own tools first.

A resident's /start asks for consent and their /bantuan lists the resident's commands only
(conversations/common.py). Staff get a version of their own, built from the same lists as
their chat menu (menu.py), so the help and the menu never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.utils.i18n import gettext as _

from conversations.menu import RESIDENT_COMMANDS
from conversations.staff.menu import COORDINATOR_COMMANDS, OFFICER_COMMANDS, PIKET
from services.roles import COORDINATOR

# Said by /start and /bantuan themselves; the rest of the resident's menu is theirs too.
_NOT_REPEATED = ("start", "bantuan")


def _lines(entries: Sequence[tuple[str, object]]) -> str:
    return "\n".join(f"/{name} — {description}" for name, description in entries)


def staff_help_text(role: str, places: str, *, serves: bool) -> str:
    """The help of an officer or a coordinator, in the current language; `places` is the
    escaped list of the kelurahan they serve."""
    if role == COORDINATOR:
        title = _("👋 <b>Lapor Aman for coordinators</b>")
        tools = ([PIKET] if serves else []) + COORDINATOR_COMMANDS
        how = _(
            "You receive urgent reports at once, reports nobody has accepted in time, and a "
            "daily digest. /kasus opens any case."
        )
    else:
        title = _("👋 <b>Lapor Aman for officers</b>")
        tools = list(OFFICER_COMMANDS)
        how = _(
            "While you are on duty, new reports of your kelurahan arrive in this chat. "
            "Press ✅ Accept to take a case; its card then has the buttons to work on it."
        )
    parts = [title]
    if serves:
        parts.append(_("You serve: {places}.").format(places=places))
    parts += ["", _lines(tools), "", how, "", "<b>" + _("Like every resident") + "</b>"]
    residents = [(n, d) for n, d in RESIDENT_COMMANDS if n not in _NOT_REPEATED]
    parts.append(_lines(residents))
    return "\n".join(parts)
