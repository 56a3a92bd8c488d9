"""Wrong /status codes per person and window (LookupLimit), by a blind index of its own.

Not on the user's row: /hapusdata deletes that row, and must not hand out a fresh set of
guesses at other people's tracking codes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import get_cipher
from storage.models import LookupLimit


def limit_key(telegram_id: int) -> str:
    # Its own domain in the index: the key says nothing about the user's row or pseudonym.
    return get_cipher().blind_index(f"status-lookup:{telegram_id}")


class LookupLimitRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current(self, telegram_id: int, now: datetime, window: timedelta) -> LookupLimit:
        """This person's count for the window running at `now` (a new window if the last
        one is over)."""
        key = limit_key(telegram_id)
        entry = await self._session.get(LookupLimit, key, with_for_update=True)
        if entry is None:
            entry = LookupLimit(key=key, failures=0, window_start=now)
            self._session.add(entry)
            await self._session.flush()
        elif now - entry.window_start >= window:
            entry.failures = 0
            entry.window_start = now
        return entry

    async def prune(self, before: datetime) -> int:
        """Windows that ended before `before` count for nothing: forget them."""
        result = await self._session.execute(
            delete(LookupLimit).where(LookupLimit.window_start < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
