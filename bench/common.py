"""What every figure gets from the command line, and small helpers they share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from playground.emulator import BotAPIEmulator

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    quick: bool
    runs: int
    postgres: str | None
    workdir: Path


async def wait_until(
    condition: Callable[[], bool], patience: float, what: str, step: float = 0.01
) -> float:
    """Poll until `condition()`; returns when it first held (time.monotonic())."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {patience:.0f}s waiting for {what}")
        await asyncio.sleep(step)
    return time.monotonic()


async def gather_all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Like asyncio.gather, but a failure cancels the others instead of leaving them running
    against a bot that is about to be stopped."""
    async with asyncio.TaskGroup() as group:
        running = [group.create_task(_as_coroutine(item)) for item in awaitables]
    return [task.result() for task in running]


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def alert_seen_at(
    emulator: BotAPIEmulator, token: str, officers: Iterable[int], code: str
) -> float | None:
    """When the first bot message naming report `code` reached one of the officers' chats
    (time.monotonic(), as the emulator stamps chat events)."""
    state = emulator.state.bots[token]
    seen = [
        event.monotonic
        for officer in officers
        if (chat := state.chats.get(officer)) is not None
        for event in chat.events
        if event.message.from_bot and code in event.text
    ]
    return min(seen) if seen else None
