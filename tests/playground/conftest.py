"""The demo in-process on a random port, and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from playground.demo.demo import Demo
from tests.fixtures.pace import allow_bursts, sender_bursts

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium from phoning home: CI has no internet, and the demo must not need it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "needs the playwright package (pip install -e '.[dev]')"
    return None


needs_browser = pytest.mark.skipif(_browser_missing() is not None, reason=_browser_missing() or "")


@contextlib.asynccontextmanager
async def _running_demo(tmp_path: Path) -> AsyncIterator[Demo]:
    running = Demo(port=0, data_dir=tmp_path / "demo")
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """The demo as `make demo` runs it: each chat paced at Telegram's 1 message a second."""
    async with _running_demo(tmp_path) as running:
        yield running


@pytest.fixture
async def bursting_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Demo]:
    """The demo at the conversation tests' pace (tests/fixtures/pace.py): the emulator and
    the demo's sender both allow bursts in a chat."""
    sender_bursts(monkeypatch)
    async with _running_demo(tmp_path) as running:
        allow_bursts(running.emulator)
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()
