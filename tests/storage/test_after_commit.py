"""What an update defers with after_commit happens only once its change is durable."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import TelegramObject
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.database import DatabaseMiddleware
from storage.models import AuditLog
from storage.repositories import Repo
from storage.session_context import after_commit


async def audit_rows(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditLog)) or 0)


async def test_deferred_actions_see_the_committed_change(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[int] = []

    async def handler(event: TelegramObject, data: dict[str, Any]) -> str:
        repo: Repo = data["repo"]
        await repo.audit.record("report_submitted", actor_id=None)

        async def tell() -> None:
            # Read from another session: what the resident is told must already be stored.
            seen.append(await audit_rows(session_factory))

        after_commit(repo.session, tell)
        assert not seen, "nothing deferred may run inside the transaction"
        return "handled"

    result = await DatabaseMiddleware(session_factory)(handler, TelegramObject(), {})
    assert result == "handled"
    assert seen == [1]


async def test_a_failed_update_runs_nothing_it_deferred(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ran: list[str] = []

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        repo: Repo = data["repo"]
        await repo.audit.record("report_submitted", actor_id=None)

        async def tell() -> None:
            ran.append("told")

        after_commit(repo.session, tell)
        raise RuntimeError("the handler failed after deferring")

    with pytest.raises(RuntimeError):
        await DatabaseMiddleware(session_factory)(handler, TelegramObject(), {})
    assert ran == []
    assert await audit_rows(session_factory) == 0


async def test_a_failing_deferred_action_does_not_undo_or_stop_the_rest(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ran: list[str] = []

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        repo: Repo = data["repo"]
        await repo.audit.record("report_submitted", actor_id=None)

        async def broken() -> None:
            raise ConnectionError("Telegram went away")

        async def second() -> None:
            ran.append("second")

        after_commit(repo.session, broken)
        after_commit(repo.session, second)

    await DatabaseMiddleware(session_factory)(handler, TelegramObject(), {})
    assert ran == ["second"]
    assert await audit_rows(session_factory) == 1
