"""Webhook mode: Telegram POSTs updates to WEBHOOK_URL; we store each in the inbox, commit,
and only then answer 200. The inbox's worker (bot/inbox.py) handles it from there.

Why not aiogram's SimpleRequestHandler: it answers 500 to malformed JSON (Telegram would
retry it forever), accepts a request with no secret header when none is configured, handles
updates in background tasks of its own (an instance that dies loses what it had answered 200
to), closes the bot's HTTP session on shutdown (the sender still needs it to flush the
outbox), and has no replay protection.

What this handler guarantees:
- 401 without the X-Telegram-Bot-Api-Secret-Token header, 403 with a wrong one (compared in
  constant time), 413 above MAX_BODY, 400 for a body that is not an update, 503 while
  shutting down or when the database cannot store the update (Telegram then retries later,
  or nginx's proxy_next_upstream hands it to another instance).
- 200 only once the update is committed to the inbox: an instance killed after answering
  loses nothing, another instance (or this one, restarted) handles it. A second delivery of
  an update finds its row (bot_id, update_id are unique): 200, and nothing more.
- Shutdown: new requests get 503, requests being stored finish, then the caller closes the
  service (its inbox lets updates in flight finish and gives the rest back). The webhook stays
  registered: with several instances behind one URL, one stopping must not unhook the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.app import Service
from bot.config import parse_listen
from bot.ops import Operations, bound_port
from bot.polling import until_answered

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kB; a megabyte leaves room and stops a flood early.
MAX_BODY = 1024 * 1024


def webhook_path(url: str) -> str:
    """The path part of WEBHOOK_URL is where we listen (a proxy forwards it unchanged)."""
    return urlsplit(url).path or "/"


class WebhookServer:
    """The aiohttp app: the webhook route plus /healthz and /metrics."""

    def __init__(
        self,
        service: Service,
        ops: Operations,
        *,
        secret: str,
        path: str,
        max_body: int = MAX_BODY,
    ) -> None:
        self.service = service
        self.ops = ops
        self._secret = secret.encode()
        self._path = path
        self._max_body = max_body
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        # client_max_size makes aiohttp itself refuse a bigger body with 413.
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self._path, self.handle)
        self.ops.add_routes(app)
        return app

    async def start(self, listen: str) -> None:
        host, port = parse_listen(listen)
        # No access log: the path is harmless, but Prometheus scrapes would drown the log.
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.port = bound_port(self._runner) or port
        log.info("webhook listening host=%s port=%s path=%s", host, self.port, self._path)

    async def stop(self) -> None:
        """Refuse new updates (503), let requests being stored finish, close the listener."""
        self._closing = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # --- the route ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if self._closing:
            return self._refuse("unavailable", 503)
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return self._refuse("unauthorized", 401)
        if not secrets.compare_digest(given.encode(), self._secret):
            return self._refuse("forbidden", 403)
        if request.content_length is not None and request.content_length > self._max_body:
            return self._refuse("too_large", 413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse("too_large", 413)
        parsed = self._parse(body)
        if parsed is None:
            return self._refuse("bad_request", 400)
        update, raw = parsed
        try:
            fresh = await self.service.inbox.store([(update, raw)])
        except Exception:
            log.exception("webhook: cannot store update %s; asking for a retry", update.update_id)
            return self._refuse("unavailable", 503)
        if not fresh:
            log.info("webhook: update %s was delivered before; ignored", update.update_id)
            self.ops.webhook_requests.labels(result="duplicate").inc()
            return web.json_response({})
        self.ops.webhook_requests.labels(result="accepted").inc()
        return web.json_response({})

    def _refuse(self, result: str, status: int) -> web.Response:
        self.ops.webhook_requests.labels(result=result).inc()
        return web.json_response({"ok": False}, status=status)

    def _parse(self, body: bytes) -> tuple[Update, dict[str, Any]] | None:
        """The update, and its JSON as Telegram sent it (what the inbox keeps)."""
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return None
        try:
            return Update.model_validate(raw, context={"bot": self.service.bot}), raw
        except ValidationError:
            return None


async def run_webhook(
    service: Service,
    ops: Operations,
    *,
    handle_signals: bool = True,
    stop: asyncio.Event | None = None,
    on_listening: Callable[[WebhookServer], None] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT, `service.stop_receiving()` or `stop`; the caller closes
    the service."""
    settings = service.settings
    url = settings.webhook_url or ""
    secret = settings.require_webhook_secret()
    server = WebhookServer(service, ops, secret=secret, path=webhook_path(url))
    stop = stop or service.stopping
    dispatcher = service.dispatcher
    workflow = {"dispatcher": dispatcher, "bots": [service.bot], **dispatcher.workflow_data}
    ops.install(dispatcher)
    loop = asyncio.get_running_loop()
    if handle_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    # Listen before registering, so Telegram's first POST finds someone.
    await server.start(settings.webhook_listen)
    if on_listening is not None:
        on_listening(server)
    try:
        await service.start_workers()
        # Registered before the start-up handlers, which call Telegram too: a Telegram not yet
        # reachable is waited out here (bot/polling.py, until_answered), not a crash there.
        registered = await until_answered(
            lambda: service.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            ),
            "setWebhook",
            stop,
        )
        if not registered:
            return
        log.info("webhook registered")
        await dispatcher.emit_startup(bot=service.bot, **workflow)
        await stop.wait()
        log.info("stopping: no new updates; finishing those in flight")
    finally:
        await server.stop()
        try:
            await dispatcher.emit_shutdown(bot=service.bot, **workflow)
        except Exception:
            log.exception("webhook: a shutdown handler failed")
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


__all__ = [
    "MAX_BODY",
    "SECRET_HEADER",
    "WebhookServer",
    "run_webhook",
    "webhook_path",
]
