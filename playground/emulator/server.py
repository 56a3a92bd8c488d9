"""The aiohttp front: Bot API routes, file downloads and the outage modes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from playground.emulator.dispatch import Dispatcher
from playground.emulator.errors import ApiError
from playground.emulator.faults import Faults
from playground.emulator.params import Params, Upload
from playground.emulator.state import EmulatorState

# Telegram accepts uploads of up to 50 MB through the Bot API.
MAX_REQUEST_BYTES = 50 * 1024 * 1024


def _json_response(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.body_exists:
        return Params(values)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("can't parse JSON object")
        values.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                values[key] = value
    return Params(values, uploads)


class ApiServer:
    def __init__(self, state: EmulatorState, dispatcher: Dispatcher, faults: Faults) -> None:
        self.state = state
        self.dispatcher = dispatcher
        self.faults = faults
        self.host = ""
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._in_flight: set[asyncio.Transport] = set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_route("*", "/{tail:.*}", self.handle_unknown)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host, self.port = host, self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.abort_in_flight()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def abort_in_flight(self) -> None:
        """Cut every open request, as if Telegram had become unreachable."""
        for transport in list(self._in_flight):
            transport.abort()
        self._in_flight.clear()

    def _drop(self, request: web.Request) -> web.Response:
        # Close the TCP connection without any HTTP answer; clients see a disconnect.  The
        # returned response is never written because the transport is already gone.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=502)

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        if self.faults.outage == "down":
            return self._drop(request)
        token, method = request.match_info["token"], request.match_info["method"]
        if self.faults.outage == "502":
            body = ApiError(502, "Bad Gateway").payload()
            now = self.state.clock()
            self.dispatcher.record(token, method, dict(request.query), 502, body, now)
            return _json_response(502, body)
        transport = request.transport
        if isinstance(transport, asyncio.Transport):
            self._in_flight.add(transport)
        try:
            try:
                params = await read_params(request)
            except ApiError as error:
                body = error.payload()
                self.dispatcher.record(
                    token, method, {}, error.error_code, body, self.state.clock()
                )
                return _json_response(error.error_code, body)
            status, body = await self.dispatcher.execute(token, method, params)
        finally:
            if isinstance(transport, asyncio.Transport):
                self._in_flight.discard(transport)
        if self.faults.outage == "down":
            return self._drop(request)
        if self.faults.outage == "lost":
            # Done, and the caller is told it failed.
            return _json_response(502, ApiError(502, "Bad Gateway").payload())
        return _json_response(status, body)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if self.faults.outage == "down":
            return self._drop(request)
        if self.faults.outage in ("502", "lost"):
            return _json_response(502, ApiError(502, "Bad Gateway").payload())
        if request.match_info["token"] not in self.state.bots:
            return _json_response(401, ApiError(401, "Unauthorized").payload())
        stored = self.state.files.by_path(request.match_info["path"])
        if stored is None:
            return _json_response(404, ApiError(404, "Not Found").payload())
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.content, content_type=content_type)

    async def handle_unknown(self, request: web.Request) -> web.StreamResponse:
        if self.faults.outage == "down":
            return self._drop(request)
        return _json_response(404, ApiError(404, "Not Found").payload())
