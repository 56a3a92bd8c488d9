"""Role filters: the database decides, on every command, button press and typed answer.

The role is read from the database in the update's own transaction (never from the button or
from what the chat showed earlier), so an officer removed a minute ago cannot use an old menu.
What happens when a filter says no is in refusals.py: a clear answer and an audit entry.
"""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from services.roles import is_coordinator, is_officer
from storage.repositories import Repo


class IsCoordinator(Filter):
    async def __call__(self, event: Message | CallbackQuery, repo: Repo) -> bool:
        user = event.from_user
        return user is not None and await is_coordinator(repo.session, user.id)


class IsOfficer(Filter):
    """An officer, or a coordinator who also serves a kelurahan."""

    async def __call__(self, event: Message | CallbackQuery, repo: Repo) -> bool:
        user = event.from_user
        return user is not None and await is_officer(repo.session, user.id)
