"""Coordinators' insight: /statistik (counts, response times, charts) and /ekspor (CSV/XLSX).

Everything here is for coordinators only; the role is read from the database on every command,
button press and typed answer, and what others get is in refusals.py (registered last).
"""

from __future__ import annotations

from aiogram import Router

from conversations.filters import PRIVATE_CHAT
from conversations.insight import export, refusals, statistics


def setup() -> Router:
    router = Router(name=__name__)
    # Statistics and exports hold case data: only in a private chat, never in a group.
    router.message.filter(PRIVATE_CHAT)
    router.include_routers(statistics.setup(), export.setup())
    # Must be last: it answers what the role filters above refused.
    router.include_router(refusals.setup())
    return router
