"""The resident's report conversation (see report.mmd for its states)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter

from conversations.filters import CommandLike
from conversations.report import buttons, entry, inputs
from conversations.report.middleware import StepContextMiddleware
from conversations.report.states import ReportForm


def buttons_setup() -> Router:
    """The report's buttons: tried before every other router (conversations.setup)."""
    router = buttons.setup()
    router.callback_query.middleware(StepContextMiddleware())
    return router


def typed_setup() -> Router:
    """What the resident types or sends during a report, unless it reads like a command:
    tried before every other router (conversations.setup). Before the report's place in that
    order come only commands and other conversations' states, none of which can take such a
    message; walked past, they cost a typed answer about 0.4 ms of CPU (about 35 routers and
    80 filter checks)."""
    return _inputs(CommandLike(expected=False))


def setup() -> Router:
    """Starting a report, and a command-like message during one that no command took (each
    command's router comes first, so /batal works in the middle of a report)."""
    router = Router(name=__name__)
    router.include_routers(entry.setup(), _inputs(CommandLike()))
    return router


def _inputs(command_like: CommandLike) -> Router:
    router = inputs.setup()
    router.message.middleware(StepContextMiddleware())
    router.message.filter(StateFilter(ReportForm), command_like)
    return router
