"""A round-robin reverse proxy for the webhook, as deploy/nginx-webhook.conf configures nginx.

Each request goes to the next upstream in turn; a refused connection, a timeout, a 502 or a
503 passes it on to the next upstream, POST included (`proxy_next_upstream error timeout
http_502 http_503 non_idempotent`); when every upstream failed, the answer is 502 and Telegram
(here the emulator) delivers the update again later. A test may watch each upstream answer
(`on_answer`) and act before the proxy passes it back, e.g. kill the instance that just said
200.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from playground.emulator.webhook import SECRET_HEADER

# (index of the upstream, the update, the status it answered)
OnAnswer = Callable[[int, dict[str, Any], int], Awaitable[None]]
NEXT_UPSTREAM = {502, 503, 504}


class RoundRobinProxy:
    def __init__(self, port: int, upstreams: list[str], path: str, timeout: float = 10.0) -> None:
        self.upstreams = upstreams
        self.path = path
        self.timeout = timeout
        self.on_answer: OnAnswer | None = None
        self.passed_on = 0  # requests an upstream failed and the next one got
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post(self.path, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {
            key: value
            for key, value in request.headers.items()
            if key in (SECRET_HEADER, "Content-Type")
        }
        first = next(self._turn)
        for attempt in range(len(self.upstreams)):
            index = (first + attempt) % len(self.upstreams)
            try:
                async with self._session.post(
                    self.upstreams[index] + self.path,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as answer:
                    status, payload = answer.status, await answer.read()
                    content_type = answer.content_type
            except (aiohttp.ClientError, TimeoutError, OSError):
                self.passed_on += 1
                continue
            if status in NEXT_UPSTREAM:
                self.passed_on += 1
                continue
            if self.on_answer is not None:
                await self.on_answer(index, _json(body), status)
            return web.Response(status=status, body=payload, content_type=content_type)
        return web.Response(status=502, text="no upstream answered")


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
