"""Everything that talks to Telegram users: routers, states, keyboards and texts."""

from __future__ import annotations

from aiogram import F, Router

from conversations import (
    broadcasts,
    cases,
    common,
    consent,
    erase,
    fallback,
    followups,
    group_chats,
    insight,
    notices,
    report,
    staff,
    status,
)
from conversations.filters import PRIVATE_CHAT, Matches


def setup() -> Router:
    """All conversation routers, in the order they must be tried."""
    router = Router(name="conversations")
    # Private chats only: one filter for the whole tree (a router whose filter says no is
    # skipped with everything under it), so no handler can answer where others read along.
    private = Router(name="private_chats")
    private.message.filter(PRIVATE_CHAT)
    private.callback_query.filter(Matches(F.message.chat.type == "private"))
    # The report's buttons, most of all updates, first: aiogram tries each callback handler
    # before them in turn (about 40, with their filters), and none of those can take them
    # (each module's buttons carry its own prefix; these are "r:" in a report's states).
    private.include_router(report.buttons_setup())
    # Likewise what residents type during a report; one that reads like a command still
    # walks the routers below, in their order.
    private.include_router(report.typed_setup())
    # Before common: an officer's /start <invite code> must not be taken by the plain /start.
    private.include_router(staff.setup())
    # Commands first, so /batal or /darurat work in the middle of any conversation.
    private.include_routers(common.setup(), consent.setup(), erase.setup(), status.setup())
    private.include_router(cases.setup())
    # Before report: /langganan and /berhenti also work in the middle of a report.
    private.include_router(broadcasts.setup())
    private.include_router(report.setup())
    private.include_router(insight.setup())
    private.include_router(followups.setup())  # the reporter's follow-up buttons
    private.include_router(notices.setup())  # Open on the reporter's discreet notices
    # Must be last: it answers whatever nobody else took.
    private.include_router(fallback.setup())
    router.include_router(private)
    router.include_router(group_chats.setup())
    return router
