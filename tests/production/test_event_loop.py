"""The service's event loop: uvloop's where it is installed, asyncio's own without it."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from bot import event_loop

# A dependency wherever uvloop runs (pyproject.toml); elsewhere these tests have nothing to check.
uvloop = pytest.importorskip("uvloop")


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_the_service_runs_on_uvloop_where_it_is_installed() -> None:
    assert event_loop.run(_loop_type()) is uvloop.Loop


def test_without_uvloop_the_service_runs_on_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails, as where it is not installed
    assert event_loop.loop_factory() is None
    loop_type = event_loop.run(_loop_type())
    assert issubclass(loop_type, asyncio.BaseEventLoop) and loop_type is not uvloop.Loop


async def test_the_suite_runs_on_the_loop_chosen_for_it() -> None:
    expected = "asyncio" if os.environ.get("TEST_EVENT_LOOP") == "asyncio" else "uvloop"
    running = asyncio.get_running_loop()
    assert isinstance(running, uvloop.Loop) == (expected == "uvloop")
