"""The database session of the Telegram update being handled, if any.

aiogram builds the FSM storage once, long before any update exists, so the storage cannot be
handed the update's session. The update middleware puts it here instead; code that runs inside
the update (the FSM storage, the sent-messages middleware) joins that one transaction rather
than committing on its own.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession

current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)

__all__ = ["current_session"]
