"""Awareness broadcasts: residents' subscriptions and the coordinators' /siaran wizard.

See broadcast.mmd for the wizard, services/broadcasts.py for the rules and the delivery.
Include this router before `conversations.report`: /langganan and /berhenti must work in the
middle of a report (the report answers unknown commands in its own states).
"""

from __future__ import annotations

from aiogram import Router

from conversations.broadcasts import (
    audience,
    cancel,
    compose,
    confirm,
    history,
    refusals,
    subscribe,
)
from conversations.filters import PRIVATE_CHAT


def setup() -> Router:
    router = Router(name=__name__)
    # Broadcasts are composed and subscriptions asked for in a private chat only.
    router.message.filter(PRIVATE_CHAT)
    router.include_routers(
        subscribe.setup(),
        compose.setup(),
        audience.setup(),
        confirm.setup(),
        cancel.setup(),
        history.setup(),
    )
    # Must be last: it answers what the role filters above refused.
    router.include_router(refusals.setup())
    return router
