"""The resident's report conversation (see report.mmd for its states)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter

from conversations.report import buttons, entry, inputs
from conversations.report.middleware import StepContextMiddleware
from conversations.report.states import ReportForm


def buttons_setup() -> Router:
    """The report's buttons: tried before every other router (conversations.setup)."""
    router = buttons.setup()
    router.callback_query.middleware(StepContextMiddleware())
    return router


def setup() -> Router:
    """Starting a report, and what the resident types or sends during one."""
    router = Router(name=__name__)
    input_router = inputs.setup()
    input_router.message.middleware(StepContextMiddleware())
    input_router.message.filter(StateFilter(ReportForm))
    router.include_routers(entry.setup(), input_router)
    return router
