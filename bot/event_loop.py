"""The event loop the service runs on: uvloop's where it is installed (a dependency on Linux
and macOS, the platforms it supports), asyncio's own elsewhere or when it is removed.

The bot's work per update is many small steps on the loop (a statement's trip to SQLite's
thread and back, each Bot API call's socket reads and writes, the tasks of a sender's pass),
and uvloop runs the same coroutines with less of the loop's own CPU: 0.937 of the CPU per
update with both bots at once through figure 1's harness (README, "Benchmarks")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop if it can be imported, else None (asyncio's default loop)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on the loop of `loop_factory`."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
