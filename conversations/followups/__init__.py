"""The reporter's side of follow-ups: opening a discreet check-in and answering it."""

from __future__ import annotations

from aiogram import Router

from conversations.followups import answers


def setup() -> Router:
    router = Router(name=__name__)
    router.include_router(answers.setup())
    return router
