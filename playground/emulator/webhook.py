"""Delivering updates to a bot's webhook the way Telegram does.

One update at a time, in order; a non-2xx answer or a connection error is
remembered in getWebhookInfo and the update is retried after a back-off.  A
JSON answer carrying "method" is executed as a Bot API call, as Telegram
allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from playground.emulator.params import Params
from playground.emulator.state import BotState, EmulatorState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Execute = Callable[[str, str, Params, str], Awaitable[tuple[int, dict[str, Any]]]]


class WebhookWorker:
    def __init__(
        self,
        state: EmulatorState,
        bot: BotState,
        session: aiohttp.ClientSession,
        execute: Execute,
        is_paused: Callable[[], bool],
        retry_delay: float = 0.1,
    ) -> None:
        self.state = state
        self.bot = bot
        self.session = session
        self.execute = execute
        self.is_paused = is_paused
        self.retry_delay = retry_delay
        self.task: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        self._stopped = False
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run(), name=f"webhook-{self.bot.username}")

    def cancel(self) -> None:
        self._stopped = True
        if self.task is not None:
            self.task.cancel()

    async def stop(self) -> None:
        self.cancel()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def run(self) -> None:
        delay = self.retry_delay
        while self.bot.webhook.url and not self._stopped:
            if self.is_paused():
                await asyncio.sleep(0.05)
                continue
            pending = self.bot.updates.available(1)
            if not pending:
                await self.bot.updates.notifier.wait(0.5)
                continue
            update = pending[0]
            if await self.deliver(update):
                delay = self.retry_delay
                self.bot.updates.remove(update["update_id"])
                self.state.record_delivery(self.bot, [update], "webhook")
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def deliver(self, update: dict[str, Any]) -> bool:
        webhook = self.bot.webhook
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self.session.post(
                webhook.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                body = await response.read()
                if 200 <= response.status < 300:
                    await self.run_reply_method(response.content_type, body)
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        webhook.last_error_date = self.state.now()
        webhook.last_error_message = error
        return False

    async def run_reply_method(self, content_type: str, body: bytes) -> None:
        if content_type != "application/json" or not body:
            return
        try:
            payload = json.loads(body)
        except ValueError:
            return
        if isinstance(payload, dict) and isinstance(payload.get("method"), str):
            params = Params({k: v for k, v in payload.items() if k != "method"})
            await self.execute(self.bot.token, payload["method"], params, "webhook_reply")
