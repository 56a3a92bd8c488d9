"""Fixtures for the emulator's own tests: the emulator plus raw-HTTP and aiogram clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from playground.emulator import BotAPIEmulator
from tests.fixtures.emulator import *  # noqa: F403
from tests.fixtures.emulator import emulator, emulator_factory, rate_clock

__all__ = ["ApiClient", "api", "emulator", "emulator_factory", "make_bot", "rate_clock", "tg_bot"]


class ApiClient:
    """Plain aiohttp calls, so the tests see exactly what goes over the wire."""

    def __init__(self, session: aiohttp.ClientSession, emu: BotAPIEmulator) -> None:
        self.session = session
        self.emu = emu

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.emu.base_url}/bot{token or self.emu.token}/{method}"

    async def call(
        self, method: str, token: str | None = None, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        """POST a JSON body."""
        async with self.session.post(self.url(method, token), json=params) as response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.call(method, **params)
        assert (status, body["ok"]) == (200, True), body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self.call(method, **params)
        assert body["ok"] is False, body
        assert body["error_code"] == status
        return status, body["description"]

    async def form(self, method: str, **fields: Any) -> tuple[int, dict[str, Any]]:
        """POST an urlencoded form, objects JSON-encoded inside fields as bots do."""
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        async with self.session.post(self.url(method), data=data) as response:
            return response.status, await response.json()

    async def multipart(
        self, method: str, files: dict[str, tuple[str, bytes]], **fields: Any
    ) -> tuple[int, dict[str, Any]]:
        form = aiohttp.FormData()
        for key, value in fields.items():
            form.add_field(key, value if isinstance(value, str) else json.dumps(value))
        for key, (filename, content) in files.items():
            form.add_field(key, content, filename=filename)
        async with self.session.post(self.url(method), data=form) as response:
            return response.status, await response.json()


@pytest.fixture
async def api(emulator: BotAPIEmulator) -> AsyncIterator[ApiClient]:
    async with aiohttp.ClientSession() as session:
        yield ApiClient(session, emulator)


def make_bot(emu: BotAPIEmulator, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    return Bot(token or emu.token, session=session)


@pytest.fixture
async def tg_bot(emulator: BotAPIEmulator) -> AsyncIterator[Bot]:
    """A real aiogram Bot talking to the emulator."""
    bot = make_bot(emulator)
    try:
        yield bot
    finally:
        await bot.session.close()
