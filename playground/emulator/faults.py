"""Failures a test asks for: whole-API outages and one-off injected errors."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from playground.emulator.errors import ApiError

# "lost": every call is executed, then answered 502 (the answer lost behind a proxy): the
# caller cannot tell whether its message went out.
OUTAGE_MODES = (None, "502", "down", "lost")


@dataclass
class _Injected:
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None = None  # only calls to this chat fail; None: any call


@dataclass
class Hold:
    """Calls of one method (to one chat) are carried out, then their answers wait until
    `release()`: a caller that dies meanwhile never learns that Telegram took the message."""

    method: str
    chat_id: int | None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0

    def release(self) -> None:
        self.released.set()


class Faults:
    def __init__(self) -> None:
        self.outage: str | None = None
        self._queue: dict[str, deque[_Injected]] = {}
        self._holds: list[Hold] = []

    def hold(self, method: str, chat_id: int | None = None) -> Hold:
        hold = Hold(method.lower(), chat_id)
        self._holds.append(hold)
        return hold

    def holding(self, method: str, chat_id: int | str | None) -> Hold | None:
        self._holds = [hold for hold in self._holds if not hold.released.is_set()]
        return next(
            (
                hold
                for hold in self._holds
                if hold.method == method.lower() and hold.chat_id in (None, chat_id)
            ),
            None,
        )

    def set_outage(self, mode: str | None) -> None:
        if mode not in OUTAGE_MODES:
            raise ValueError(f"outage mode must be one of {OUTAGE_MODES}, not {mode!r}")
        self.outage = mode

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        injected = _Injected(error_code, description, retry_after, times, chat_id)
        self._queue.setdefault(method.lower(), deque()).append(injected)

    def take(self, method: str, chat_id: int | str | None = None) -> ApiError | None:
        queue = self._queue.get(method.lower())
        if not queue:
            return None
        injected = next((i for i in queue if i.chat_id in (None, chat_id)), None)
        if injected is None:
            return None
        injected.remaining -= 1
        if injected.remaining <= 0:
            queue.remove(injected)
        return ApiError(injected.error_code, injected.description, injected.retry_after)
