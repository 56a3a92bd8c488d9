"""The bot in webhook mode against the emulator, which POSTs updates with the secret."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from bot.app import Service, create_service
from bot.config import Settings
from bot.ops import Operations
from bot.webhook import WebhookServer, run_webhook
from playground.emulator import BotAPIEmulator
from tests.conversations.resident import Resident
from tests.fixtures.bot import make_settings
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)
from tests.fixtures.timeline import until

SECRET = "s3cret_Webhook-token"
PATH = "/telegram/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class WebhookBot:
    service: Service
    ops: Operations
    server: WebhookServer
    task: asyncio.Task[None]
    stop_event: asyncio.Event
    url: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def stop(self) -> None:
        self.stop_event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, timeout=15)
        await self.service.close()


async def start_webhook_bot(settings: Settings, emulator: BotAPIEmulator) -> WebhookBot:
    service = await create_service(settings)
    ops = Operations(service)
    stop = asyncio.Event()
    listening: list[WebhookServer] = []
    task = asyncio.create_task(
        run_webhook(service, ops, handle_signals=False, stop=stop, on_listening=listening.append)
    )

    def registered() -> bool:
        if emulator.bot.webhook.url:
            return True
        if task.done():
            task.result()  # why it stopped
        return False

    await until(registered, "the bot to register its webhook", within=10)
    return WebhookBot(service, ops, listening[0], task, stop, settings.webhook_url or "")


@pytest.fixture
def webhook_settings(emulator: BotAPIEmulator, database_url: str) -> Settings:
    port = free_port()
    return make_settings(
        emulator,
        database_url,
        webhook_url=f"http://127.0.0.1:{port}{PATH}",
        webhook_secret=SecretStr(SECRET),
        webhook_listen=f"127.0.0.1:{port}",
    )


@pytest.fixture
async def webhook_bot(
    webhook_settings: Settings, emulator: BotAPIEmulator
) -> AsyncIterator[WebhookBot]:
    running = await start_webhook_bot(webhook_settings, emulator)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def webhook_resident(emulator: BotAPIEmulator, webhook_bot: WebhookBot) -> Resident:
    return Resident(emulator.user(user_id=5101, first_name="Siti", language_code="en"), "en")
