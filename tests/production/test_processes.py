"""The real command line: webhook mode, SIGTERM, and the switch back to polling."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import aiohttp
import pytest

from playground.emulator import BotAPIEmulator
from storage.crypto import Cipher
from tests.fixtures.timeline import until
from tests.production.conftest import PATH, SECRET, free_port
from tests.production.processes import bot_env, kill, start_process, terminate

# Real `python -m bot run` processes: seconds each to start and stop.
pytestmark = pytest.mark.slow


async def test_webhook_process_stops_on_sigterm_and_polling_unhooks(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    key = Cipher.generate_key()
    env = bot_env(
        emulator,
        database_url,
        key,
        WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        LOG_FORMAT="json",
    )
    process = await start_process(env, tmp_path)
    try:
        await until(lambda: bool(emulator.bot.webhook.url), "the webhook", within=30)
        resident = emulator.user(user_id=5301, first_name="Rina", language_code="id")
        await resident.send_command("/start")
        await resident.wait_for("Lapor Aman")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
    except BaseException:
        await kill(process)
        raise
    code, log = await terminate(process)
    assert code == 0, log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(entry["msg"] == "webhook registered" for entry in lines)
    # The real process froze its start-up heap (bot/heap.py), not only the function's test.
    frozen = [
        int(entry["msg"].rsplit(" ", 2)[-2])
        for entry in lines
        if entry["msg"].startswith("start-up heap frozen: ")
    ]
    assert frozen and frozen[0] > 10_000, frozen
    assert emulator.token not in log
    # Stopping one instance leaves the webhook for the others.
    assert emulator.bot.webhook.url

    polling = await start_process(bot_env(emulator, database_url, key), tmp_path)
    try:
        await until(lambda: not emulator.bot.webhook.url, "deleteWebhook", within=30)
        await until(lambda: emulator.bot.active_poll is not None, "a long poll", within=30)
    finally:
        code, log = await terminate(polling)
    assert code == 0, log


async def test_sigterm_while_starting_stops_cleanly(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    """A stop asked for before the service had put its own signal handlers in place (here:
    while its first call to Telegram waits) used to kill it by the signal's default action
    (exit -15); it now stops as soon as it can, cleanly."""
    held = emulator.hold_answers("deleteWebhook")
    process = await start_process(bot_env(emulator, database_url, Cipher.generate_key()), tmp_path)
    try:
        await asyncio.wait_for(held.reached.wait(), 60)
    except BaseException:
        await kill(process)
        raise
    process.send_signal(signal.SIGTERM)
    held.release()
    code, log = await terminate(process)
    assert code == 0, log
