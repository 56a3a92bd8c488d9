"""getUpdates long polling, the one-poller rule and webhook delivery."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from playground.emulator import BotAPIEmulator
from tests.emulator.conftest import ApiClient
from tests.fixtures.timeline import until

CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


async def test_long_poll_waits_for_an_update(api: ApiClient, emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    # A timeout far beyond the wait below: an answer within that wait is the update's.
    poll = asyncio.create_task(api.ok("getUpdates", timeout=60))
    await until(lambda: emulator.bot.active_poll or poll.done(), "the long poll at the emulator")
    assert not poll.done(), "answered with nothing to give"
    await user.send_text("halo")
    updates = await asyncio.wait_for(poll, 10)
    assert [u["message"]["text"] for u in updates] == ["halo"]
    assert emulator.delivered_updates[-1].update == updates[0]
    assert emulator.delivered_updates[-1].via == "getUpdates"


async def test_long_poll_times_out_empty(api: ApiClient) -> None:
    started = time.monotonic()
    assert await api.ok("getUpdates", timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3


async def test_offset_confirms_and_limit_caps(api: ApiClient, emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    for text in ("a", "b", "c"):
        await user.send_text(text)
    first = await api.ok("getUpdates", limit=2)
    assert [u["message"]["text"] for u in first] == ["a", "b"]
    # Unconfirmed updates come again.
    assert await api.ok("getUpdates", limit=2) == first
    rest = await api.ok("getUpdates", offset=first[-1]["update_id"] + 1)
    assert [u["message"]["text"] for u in rest] == ["c"]
    assert await api.ok("getUpdates", offset=rest[-1]["update_id"] + 1) == []
    assert len(emulator.delivered_updates) == 3


async def test_allowed_updates_filters(api: ApiClient, emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    await user.send_text("pesan")
    user.block()
    updates = await api.ok("getUpdates", allowed_updates=["my_chat_member"])
    assert [next(k for k in u if k != "update_id") for u in updates] == ["my_chat_member"]
    new_member = updates[0]["my_chat_member"]["new_chat_member"]
    assert new_member["status"] == "kicked"
    assert new_member["user"]["id"] == emulator.bot_id


async def test_second_poller_terminates_the_first(api: ApiClient, emulator: BotAPIEmulator) -> None:
    first = asyncio.create_task(api.call("getUpdates", timeout=5))
    await until(lambda: emulator.bot.active_poll, "the first long poll at the emulator")
    second = asyncio.create_task(api.call("getUpdates", timeout=5))
    status, body = await asyncio.wait_for(first, 2)
    assert (status, body["description"]) == (409, CONFLICT)
    await emulator.user(1001).send_text("untuk poller kedua")
    status, body = await second
    assert status == 200
    assert body["result"][0]["message"]["text"] == "untuk poller kedua"


async def _answered(emulator: BotAPIEmulator, count: int, patience: float = 5.0) -> None:
    """Until the emulator has taken the webhook's answer for `count` updates: the receiver
    sees an update before its answer gets back, and a loaded machine may keep it a while."""
    deadline = time.monotonic() + patience
    while len(emulator.delivered_updates) < count:
        assert time.monotonic() < deadline, "the emulator never took the webhook's answer"
        await asyncio.sleep(0.01)


class WebhookReceiver:
    """A stand-in for the bot's webhook endpoint."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, Any], str | None]] = []
        self.fail_first = 0
        self.reply: dict[str, Any] | None = None
        self.received = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        if len(self.requests) <= self.fail_first:
            return web.Response(status=500)
        self.received.set()
        if self.reply is not None:
            return web.json_response(self.reply)
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = WebhookReceiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield hook
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret(
    api: ApiClient, emulator: BotAPIEmulator, receiver: WebhookReceiver
) -> None:
    user = emulator.user(1001)
    assert await api.ok("setWebhook", url=receiver.url, secret_token="s3cr3t-_X") is True
    await user.send_text("via webhook")
    await asyncio.wait_for(receiver.received.wait(), 3)
    update, secret = receiver.requests[0]
    assert update["message"]["text"] == "via webhook"
    assert secret == "s3cr3t-_X"
    await _answered(emulator, 1)
    assert emulator.delivered_updates[-1].via == "webhook"
    info = await api.ok("getWebhookInfo")
    assert (info["url"], info["pending_update_count"]) == (receiver.url, 0)
    status, description = await api.error("getUpdates")
    assert (status, description) == (409, WEBHOOK_CONFLICT)


async def test_webhook_retries_until_the_bot_answers(
    api: ApiClient, emulator: BotAPIEmulator, receiver: WebhookReceiver
) -> None:
    receiver.fail_first = 2
    await api.ok("setWebhook", url=receiver.url)
    await emulator.user(1001).send_text("ulang")
    await asyncio.wait_for(receiver.received.wait(), 5)
    assert [body["message"]["text"] for body, _ in receiver.requests] == ["ulang"] * 3
    await _answered(emulator, 1)
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )


async def test_webhook_unreachable_keeps_updates_pending(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    await api.ok("setWebhook", url="http://127.0.0.1:9/unreachable")
    await emulator.user(1001).send_text("tertunda")

    async def tried() -> bool:
        return "last_error_message" in await api.ok("getWebhookInfo")

    await until(tried, "a delivery to the webhook tried")
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"
    assert await api.ok("deleteWebhook", drop_pending_updates=True) is True
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0
    assert await api.ok("getUpdates") == []


async def test_webhook_reply_can_call_a_method(
    api: ApiClient, emulator: BotAPIEmulator, receiver: WebhookReceiver
) -> None:
    receiver.reply = {"method": "sendMessage", "chat_id": 1001, "text": "dibalas lewat respons"}
    await api.ok("setWebhook", url=receiver.url)
    user = emulator.user(1001)
    await user.send_text("halo")
    reply = await user.wait_for("dibalas", timeout=3)
    assert reply.from_bot
    assert emulator.calls_of("sendMessage")[-1].via == "webhook_reply"


async def test_set_webhook_validation(api: ApiClient) -> None:
    _, description = await api.error("setWebhook", url="ftp://example.org/hook")
    assert description == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    _, description = await api.error(
        "setWebhook", url="https://example.org/h", secret_token="bad token!"
    )
    assert description == "Bad Request: secret token contains unallowed characters"


async def test_pending_updates_survive_until_webhook_is_removed(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    await emulator.user(1001).send_text("menunggu")
    await api.ok("deleteWebhook")
    updates = await api.ok("getUpdates")
    assert json.dumps(updates[0]["message"]["text"]) == '"menunggu"'
