"""A tiny level-free wake-up primitive shared by long polls, webhooks and test waiters."""

from __future__ import annotations

import asyncio


class Notifier:
    """``notify()`` wakes every current ``wait()``; callers re-check their condition after."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, seconds: float) -> bool:
        """True if notified, False after ``seconds`` without a notification."""
        if seconds <= 0:
            return False
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        # asyncio.timeout, unlike wait_for on 3.11, never swallows a cancellation that races
        # with the event being set.
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True
