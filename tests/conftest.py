"""Root conftest: load the fixture modules (one per concern) for every test, and choose the
event loop."""

import asyncio
import os

from bot.deferred_schemas import install
from bot.event_loop import loop_factory

# As `python -m bot` does: aiogram's types build their schemas on first use (tests run the bot
# the way it runs in production).
install()

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.emulator",
    "tests.fixtures.bot",
    "tests.fixtures.people",
]


def pytest_asyncio_loop_factories(config: object, item: object) -> dict[str, object]:
    """Every async test on the loop the service runs on (`bot.event_loop`: uvloop's where it is
    installed); TEST_EVENT_LOOP=asyncio runs them on asyncio's own, which `.ci/run` does for
    one of its two runs, so both loops keep passing."""
    factory = None if os.environ.get("TEST_EVENT_LOOP") == "asyncio" else loop_factory()
    return {"loop": factory or asyncio.new_event_loop}
