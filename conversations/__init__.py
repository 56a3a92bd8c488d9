"""Everything that talks to Telegram users: routers, states, keyboards and texts."""

from __future__ import annotations

from aiogram import Router

from conversations import (
    broadcasts,
    cases,
    common,
    consent,
    erase,
    fallback,
    followups,
    insight,
    report,
    staff,
    status,
)


def setup() -> Router:
    """All conversation routers, in the order they must be tried."""
    router = Router(name="conversations")
    # The report's buttons, most of all updates, first: aiogram tries each callback handler
    # before them in turn (about 40, with their filters), and none of those can take them
    # (each module's buttons carry its own prefix; these are "r:" in a report's states).
    router.include_router(report.buttons_setup())
    # Before common: an officer's /start <invite code> must not be taken by the plain /start.
    router.include_router(staff.setup())
    # Commands first, so /batal or /darurat work in the middle of any conversation.
    router.include_routers(common.setup(), consent.setup(), erase.setup(), status.setup())
    router.include_router(cases.setup())
    # Before report: /langganan and /berhenti also work in the middle of a report.
    router.include_router(broadcasts.setup())
    router.include_router(report.setup())
    router.include_router(insight.setup())
    router.include_router(followups.setup())  # the reporter's follow-up buttons
    # Must be last: it answers whatever nobody else took.
    router.include_router(fallback.setup())
    return router
