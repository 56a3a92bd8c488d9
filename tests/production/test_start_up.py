"""Start-up while Telegram cannot be reached: the bot waits for it, as the poller waits out an
outage, instead of dying with a traceback (a server that boots before its network, Telegram
down for a while); a token Telegram refuses stops it with a message naming BOT_TOKEN."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest
from aiogram.utils.backoff import BackoffConfig
from pydantic import SecretStr

import bot.polling
from bot.app import create_service, run_polling
from bot.config import ConfigError, Settings
from playground.emulator import BotAPIEmulator
from storage.crypto import Cipher
from tests.fixtures.bot import make_settings
from tests.fixtures.timeline import until
from tests.production.conftest import start_webhook_bot
from tests.production.processes import bot_env, start_process

REFUSED_TOKEN = "424242:refused-by-telegram-abcdefghijklmnop"


@pytest.fixture(autouse=True)
def brisk_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses of 20-50 ms between the tries instead of 1-5 s."""
    brisk = BackoffConfig(min_delay=0.02, max_delay=0.05, factor=1.3, jitter=0.1)
    monkeypatch.setattr(bot.polling, "BACKOFF", brisk)


def _failed_tries(caplog: pytest.LogCaptureFixture) -> int | None:
    for record in caplog.records:
        found = re.fullmatch(
            r"start-up: working again after (\d+) failed tries", record.getMessage()
        )
        if found:
            return int(found.group(1))
    return None


@pytest.mark.parametrize(
    ("outage", "error"), [("502", "TelegramServerError"), ("down", "TelegramNetworkError")]
)
async def test_a_bot_started_while_telegram_is_unreachable_waits_for_it_then_polls(
    emulator: BotAPIEmulator,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    outage: str,
    error: str,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.polling")
    settings = make_settings(emulator, database_url)
    emulator.set_outage(outage)
    service = await create_service(settings)
    task = asyncio.create_task(run_polling(service, handle_signals=False))
    try:
        warned = f"start-up: deleteWebhook failed with {error}; trying again with pauses of up to"
        await until(
            lambda: any(r.getMessage().startswith(warned) for r in caplog.records),
            what="the warning that Telegram is not reachable",
        )
        if outage == "502":
            await until(lambda: len(emulator.calls_of("deleteWebhook")) >= 3, what="three tries")
        assert not task.done(), "start-up gave up while Telegram was unreachable"
        assert emulator.bot.active_poll is None
        emulator.set_outage(None)
        await until(lambda: emulator.bot.active_poll is not None, what="the first getUpdates")
        tries = _failed_tries(caplog)
        assert tries is not None and tries >= (3 if outage == "502" else 1)
        # Logged once when it began and once when it ended, the token in neither.
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("start-up")]
        assert len(lines) == 2
        assert all(settings.require_token() not in line for line in lines)
    finally:
        service.stop_receiving()
        await asyncio.wait_for(task, timeout=15)
        await service.close()


async def test_stopped_while_waiting_for_telegram_it_stops_without_polling(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    emulator.set_outage("502")
    service = await create_service(make_settings(emulator, database_url))
    task = asyncio.create_task(run_polling(service, handle_signals=False))
    try:
        await until(lambda: len(emulator.calls_of("deleteWebhook")) >= 2, what="two tries")
        service.stop_receiving()
        await asyncio.wait_for(task, timeout=5)
        assert emulator.bot.active_poll is None
        assert not emulator.calls_of("getUpdates")
    finally:
        await service.close()


async def test_a_token_telegram_refuses_stops_start_up_with_a_message(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    settings = make_settings(emulator, database_url, bot_token=SecretStr(REFUSED_TOKEN))
    service = await create_service(settings)
    try:
        with pytest.raises(ConfigError) as refused:
            await asyncio.wait_for(run_polling(service, handle_signals=False), timeout=10)
    finally:
        await service.close()
    assert "Telegram refused BOT_TOKEN (TelegramUnauthorizedError)" in str(refused.value)
    assert REFUSED_TOKEN not in str(refused.value)


async def test_a_webhook_bot_started_while_telegram_is_unreachable_registers_when_it_answers(
    emulator: BotAPIEmulator, webhook_settings: Settings
) -> None:
    emulator.set_outage("502")
    starting = asyncio.create_task(start_webhook_bot(webhook_settings, emulator))
    await until(lambda: len(emulator.calls_of("setWebhook")) >= 3, what="three tries")
    assert not starting.done() and not emulator.bot.webhook.url
    emulator.set_outage(None)
    running = await starting
    try:
        assert emulator.bot.webhook.url == running.url
    finally:
        await running.stop()


@pytest.mark.slow
async def test_the_command_says_which_setting_is_wrong_when_telegram_refuses_the_token(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    env = bot_env(emulator, database_url, Cipher.generate_key(), BOT_TOKEN=REFUSED_TOKEN)
    process = await start_process(env, tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    said = stderr.decode()
    assert process.returncode == 2, said
    assert "lapor-aman: Telegram refused BOT_TOKEN" in said
    assert "Traceback" not in said
    assert REFUSED_TOKEN not in said
