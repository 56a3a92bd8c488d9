"""Officers and coordinators working a case: Terima, status, reading it all, notes, contacting
the reporter, handing it to an officer."""

from __future__ import annotations

from aiogram import Router

from conversations.cases import assign, case_list, notes, reading, relay, status, take


def setup() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        take.setup(),
        status.setup(),
        reading.setup(),
        assign.setup(),
        notes.setup(),
        relay.setup(),
        case_list.setup(),
    )
    return router
