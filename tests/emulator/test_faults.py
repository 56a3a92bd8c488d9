"""Outages and injected failures, seen through raw HTTP and through aiogram."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from playground.emulator import BotAPIEmulator
from tests.emulator.conftest import ApiClient
from tests.fixtures.timeline import until


async def test_outage_502(api: ApiClient, emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    emulator.set_outage("502")
    status, body = await api.call("getMe")
    assert (status, body) == (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    with pytest.raises(TelegramServerError):
        await tg_bot.get_me()
    assert emulator.stats["5xx"] == 2
    emulator.set_outage(None)
    assert (await tg_bot.get_me()).id == emulator.bot_id


async def test_outage_down_drops_connections(
    api: ApiClient, emulator: BotAPIEmulator, tg_bot: Bot
) -> None:
    emulator.set_outage("down")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("getMe")
    with pytest.raises(TelegramNetworkError):
        await tg_bot.get_me()
    emulator.set_outage(None)
    assert (await api.ok("getMe"))["id"] == emulator.bot_id


async def test_going_down_cuts_a_pending_long_poll(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    poll = asyncio.create_task(api.call("getUpdates", timeout=10))
    await until(lambda: emulator.bot.active_poll, "the long poll at the emulator")
    emulator.set_outage("down")
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(poll, 3)
    emulator.set_outage(None)
    await emulator.user(1001).send_text("masih ada")
    updates = await api.ok("getUpdates")
    assert updates[0]["message"]["text"] == "masih ada"


def test_unknown_outage_mode_is_rejected(emulator: BotAPIEmulator) -> None:
    with pytest.raises(ValueError, match="outage mode"):
        emulator.set_outage("flaky")


async def test_fail_next_injects_errors(api: ApiClient, emulator: BotAPIEmulator) -> None:
    emulator.user(1001)
    emulator.fail_next("sendmessage", 500, "Internal Server Error", times=2)
    for _ in range(2):
        assert await api.error("sendMessage", chat_id=1001, text="x") == (
            500,
            "Internal Server Error",
        )
    await api.ok("sendMessage", chat_id=1001, text="x")
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    status, body = await api.call("sendMessage", chat_id=1001, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    failed = [c for c in emulator.calls_of("sendMessage") if not c.ok]
    assert [c.error_code for c in failed] == [500, 500, 429]
    assert emulator.stats["429"] == 1
    assert emulator.stats["5xx"] == 2


async def test_fail_next_for_one_chat(api: ApiClient, emulator: BotAPIEmulator) -> None:
    emulator.user(1001)
    emulator.user(1002)
    emulator.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=1002)
    await api.ok("sendMessage", chat_id=1001, text="x")  # another chat is not affected
    assert await api.error("sendMessage", chat_id=1002, text="x") == (
        400,
        "Bad Request: chat not found",
    )
    await api.ok("sendMessage", chat_id=1002, text="x")  # once only


async def test_injected_retry_after_reaches_aiogram(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    emulator.user(1001)
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as raised:
        await tg_bot.send_message(1001, "x")
    assert raised.value.retry_after == 3
