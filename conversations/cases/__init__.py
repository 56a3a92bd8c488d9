"""Officers and coordinators working a case: Terima, status, reading it all, notes, contacting
the reporter, handing it to an officer."""

from __future__ import annotations

from aiogram import Router

from conversations.cases import assign, case_list, notes, reading, relay, status, take
from conversations.cases.guard import CasePressMiddleware


def setup() -> Router:
    router = Router(name=__name__)
    # An inner middleware: it runs once a button's filter has read its callback data, for the
    # handlers of every router below.
    router.callback_query.middleware(CasePressMiddleware())
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
