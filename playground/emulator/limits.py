"""Telegram's flood limits for sending, answered with 429 and retry_after.

Per bot token: a sliding one-second window over all chats, a token bucket per
chat (short bursts allowed, then about one message a second) and a one-minute
window per group chat. A paid broadcast (allow_paid_broadcast) is outside the
bot-wide window and has one of its own, of 1,000 a second; the chat's limits
still apply.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class RateLimits:
    enabled: bool = True
    global_per_second: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    paid_per_second: int = 1000


ChatKey = int | str


class RateLimiter:
    def __init__(
        self, limits: Callable[[], RateLimits], clock: Callable[[], float] = time.monotonic
    ) -> None:
        # limits is read on every call so tests can change emu.rate_limits at any time.
        self._limits = limits
        self._clock = clock
        self._global: dict[str, deque[float]] = {}
        self._buckets: dict[tuple[str, ChatKey], tuple[float, float]] = {}
        self._groups: dict[tuple[str, ChatKey], deque[float]] = {}

    @staticmethod
    def _prune(window: deque[float], since: float) -> deque[float]:
        while window and window[0] <= since:
            window.popleft()
        return window

    def _bucket(self, key: tuple[str, ChatKey], now: float, limits: RateLimits) -> float:
        tokens, last = self._buckets.get(key, (float(limits.per_chat_burst), now))
        return min(float(limits.per_chat_burst), tokens + (now - last) * limits.per_chat_per_second)

    @staticmethod
    def _window(token: str, paid: bool) -> str:
        return f"{token}#paid" if paid else token

    def retry_after(
        self, token: str, chat: ChatKey | None, is_group: bool, paid: bool = False
    ) -> int | None:
        """Whole seconds to wait before this send is allowed, or None if it is allowed now."""
        limits = self._limits()
        if not limits.enabled:
            return None
        now = self._clock()
        waits = [0.0]
        window = self._prune(self._global.setdefault(self._window(token, paid), deque()), now - 1.0)
        per_second = limits.paid_per_second if paid else limits.global_per_second
        if len(window) >= per_second:
            waits.append(window[len(window) - per_second] + 1.0 - now)
        if chat is not None:
            tokens = self._bucket((token, chat), now, limits)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / max(limits.per_chat_per_second, 1e-9))
            if is_group:
                minute = self._prune(self._groups.setdefault((token, chat), deque()), now - 60.0)
                if len(minute) >= limits.group_per_minute:
                    waits.append(minute[len(minute) - limits.group_per_minute] + 60.0 - now)
        wait = max(waits)
        return max(1, math.ceil(wait - 1e-9)) if wait > 0 else None

    def admit(
        self, token: str, chat: ChatKey | None, is_group: bool, paid: bool = False
    ) -> int | None:
        """Counts a send the moment it arrives, or returns the whole seconds to wait.

        Checked and counted in one step, with no await between: a send counted only after
        its handler ran would be dated late by however long the handler took, and a burst of
        sends would be checked against a window that did not yet hold the ones before it.
        """
        wait = self.retry_after(token, chat, is_group, paid)
        if wait is None:
            self._consume(token, chat, is_group, self._clock(), paid)
        return wait

    def refund(self, token: str, chat: ChatKey | None, is_group: bool, paid: bool = False) -> None:
        """A send Telegram refused (a 400, a 403) is not counted against the limits."""
        limits = self._limits()
        if not limits.enabled:
            return
        window = self._global.get(self._window(token, paid))
        if window:
            window.pop()
        if chat is not None:
            key = (token, chat)
            if key in self._buckets:
                tokens, last = self._buckets[key]
                self._buckets[key] = (min(float(limits.per_chat_burst), tokens + 1.0), last)
            if is_group and (minute := self._groups.get(key)):
                minute.pop()

    def consume(self, token: str, chat: ChatKey | None, is_group: bool) -> None:
        self._consume(token, chat, is_group, self._clock())

    def _consume(
        self, token: str, chat: ChatKey | None, is_group: bool, now: float, paid: bool = False
    ) -> None:
        limits = self._limits()
        if not limits.enabled:
            return
        self._global.setdefault(self._window(token, paid), deque()).append(now)
        if chat is not None:
            key = (token, chat)
            self._buckets[key] = (self._bucket(key, now, limits) - 1.0, now)
            if is_group:
                self._groups.setdefault(key, deque()).append(now)
