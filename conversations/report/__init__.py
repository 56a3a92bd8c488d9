"""The resident's report conversation (see report.mmd for its states)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter

from conversations.report import buttons, entry, inputs
from conversations.report.middleware import StepContextMiddleware
from conversations.report.states import ReportForm


def setup() -> Router:
    router = Router(name=__name__)
    button_router, input_router = buttons.setup(), inputs.setup()
    for step_router in (button_router, input_router):
        step_router.message.middleware(StepContextMiddleware())
        step_router.callback_query.middleware(StepContextMiddleware())
    input_router.message.filter(StateFilter(ReportForm))
    router.include_routers(entry.setup(), button_router, input_router)
    return router
