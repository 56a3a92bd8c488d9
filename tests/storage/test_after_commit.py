"""What an update defers with after_commit happens only once its change is durable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.database import DatabaseMiddleware
from storage.repositories import Repo
from storage.session_context import AfterCommit, after_commit, once_committed
from tests.storage.rows import audit_rows

Sessions = async_sessionmaker[AsyncSession]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[str]]


def storing_handler(*deferred: AfterCommit, fail: bool = False) -> Handler:
    """An update that stores an audit row, defers `deferred`, and fails if told to."""

    async def handle(event: TelegramObject, data: dict[str, Any]) -> str:
        repo: Repo = data["repo"]
        await repo.audit.record("report_submitted", actor_id=None)
        for action in deferred:
            after_commit(repo.session, action)
        if fail:
            raise RuntimeError("the handler failed after deferring")
        return "handled"

    return handle


async def test_deferred_actions_see_the_committed_change(session_factory: Sessions) -> None:
    seen: list[int] = []

    async def tell() -> None:
        # Read from another session: what the resident is told must already be stored.
        seen.append(await audit_rows(session_factory))

    middleware = DatabaseMiddleware(session_factory)
    assert await middleware(storing_handler(tell), TelegramObject(), {}) == "handled"
    assert seen == [1]


async def test_a_failed_update_runs_nothing_it_deferred(session_factory: Sessions) -> None:
    ran: list[str] = []

    async def tell() -> None:
        ran.append("told")

    with pytest.raises(RuntimeError):
        await DatabaseMiddleware(session_factory)(
            storing_handler(tell, fail=True), TelegramObject(), {}
        )
    assert ran == []
    assert await audit_rows(session_factory) == 0


async def test_a_failing_deferred_action_does_not_undo_or_stop_the_rest(
    session_factory: Sessions,
) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise ConnectionError("Telegram went away")

    async def second() -> None:
        ran.append("second")

    # Raised after the rest has run: the error handler then tells the user (bot/errors.py).
    with pytest.raises(ConnectionError):
        await DatabaseMiddleware(session_factory)(
            storing_handler(broken, second), TelegramObject(), {}
        )
    assert ran == ["second"]
    assert await audit_rows(session_factory) == 1


async def test_once_committed_waits_for_the_commit_inside_an_update_only(
    session_factory: Sessions,
) -> None:
    seen: list[str] = []

    async def tell() -> None:
        seen.append(f"told, {await audit_rows(session_factory)} stored")

    async def handle(event: TelegramObject, data: dict[str, Any]) -> str:
        await once_committed(tell)
        await data["repo"].audit.record("report_submitted", actor_id=None)
        seen.append("handled")
        return "handled"

    await DatabaseMiddleware(session_factory)(handle, TelegramObject(), {})
    assert seen == ["handled", "told, 1 stored"]
    await once_committed(tell)  # outside any update: at once
    assert seen[-1] == "told, 1 stored" and len(seen) == 3
