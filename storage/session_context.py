"""The database session of the Telegram update being handled, if any, and what must wait
until that session has committed.

aiogram builds the FSM storage once, long before any update exists, so the storage cannot be
handed the update's session. The update middleware puts it here instead; code that runs inside
the update (the FSM storage, the sent-messages middleware) joins that one transaction rather
than committing on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession

current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)

AfterCommit = Callable[[], Awaitable[object]]
_AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once the update's transaction has committed, and only then.

    For what must not happen unless the change is durable, or must not hold the transaction
    (and, on SQLite, the write lock) while it talks to Telegram. Never run after a rollback.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


async def once_committed(action: AfterCommit) -> None:
    """Inside an update: run `action` after its commit (after_commit). Outside one: now.

    For replies: a reply waits for Telegram (a 429 for a chat over its pace of about a
    message a second, or room in the bot's budget during a broadcast), and on SQLite an
    update holds the database's one write lock until it commits, so every other update
    and the sender's alerts waited with it (tests/cases/test_replies_wait_outside.py). Said
    after the commit, a reply also never announces what was then rolled back.
    """
    session = current_session.get()
    if session is None:
        await action()
    else:
        after_commit(session, action)


def take_after_commit(session: AsyncSession) -> list[AfterCommit]:
    actions: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
    return actions


__all__ = [
    "AfterCommit",
    "after_commit",
    "current_session",
    "once_committed",
    "take_after_commit",
]
