"""Officers and coordinators working a case: Terima, status, notes, contacting the reporter."""

from __future__ import annotations

from aiogram import Router

from conversations.cases import case_list, notes, relay, status, take


def setup() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        take.setup(), status.setup(), notes.setup(), relay.setup(), case_list.setup()
    )
    return router
