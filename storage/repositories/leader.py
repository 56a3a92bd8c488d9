"""PostgreSQL's advisory lock that makes one instance the sender (bot/sending/leader.py)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def try_lock(connection: AsyncConnection, lock: tuple[int, int]) -> bool:
    """Take the session-level lock if nobody holds it; it goes with the connection."""
    held = await connection.scalar(
        text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": lock[0], "b": lock[1]}
    )
    return bool(held)


async def ping(connection: AsyncConnection) -> None:
    """Raises when the connection (and with it the lock) is gone."""
    await connection.scalar(text("SELECT 1"))
