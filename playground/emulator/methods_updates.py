"""getUpdates long polling and the webhook settings."""

from __future__ import annotations

import re
import time
from typing import Any

from playground.emulator.errors import GET_UPDATES_CONFLICT, WEBHOOK_CONFLICT, ApiError
from playground.emulator.registry import CallContext, api_method
from playground.emulator.state import BotState, PollTicket

_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _allowed_updates(ctx: CallContext) -> list[str] | None:
    value = ctx.params.json("allowed_updates", "can't parse allowed updates JSON object")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError.bad_request("can't parse allowed updates JSON object")
    return value


def _terminate_poll(bot: BotState) -> None:
    if bot.active_poll is not None:
        bot.active_poll.terminated = True
        bot.updates.notifier.notify()


@api_method("getUpdates")
async def get_updates(ctx: CallContext) -> list[dict[str, Any]]:
    bot = ctx.bot
    if bot.webhook.url:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = ctx.params.integer("offset", 0) or 0
    limit = min(max(ctx.params.integer("limit", 100) or 100, 1), 100)
    timeout = max(ctx.params.integer("timeout", 0) or 0, 0)
    allowed = _allowed_updates(ctx)
    # Only one long poll per bot: the earlier one is answered with 409 Conflict.
    _terminate_poll(bot)
    ticket = bot.active_poll = PollTicket()
    try:
        bot.updates.set_allowed(allowed)
        bot.updates.confirm(offset)
        # Real time on purpose: a test's fake clock must not freeze long polls.
        deadline = time.monotonic() + timeout
        while True:
            if ticket.terminated:
                raise ApiError(409, WEBHOOK_CONFLICT if bot.webhook.url else GET_UPDATES_CONFLICT)
            if ctx.runtime.is_down():
                return []
            updates = bot.updates.available(limit)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0:
                break
            await bot.updates.notifier.wait(remaining)
    finally:
        if bot.active_poll is ticket:
            bot.active_poll = None
    ctx.state.record_delivery(bot, updates, "getUpdates")
    return updates


@api_method("setWebhook")
async def set_webhook(ctx: CallContext) -> bool:
    url = (ctx.params.string("url") or "").strip()
    if not url:
        return bool(await delete_webhook(ctx))
    # Telegram insists on HTTPS; plain HTTP is accepted so local bots can be tested.
    if not url.lower().startswith(("https://", "http://")):
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = ctx.params.string("secret_token")
    if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
        raise ApiError.bad_request("secret token contains unallowed characters")
    max_connections = ctx.params.integer("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise ApiError.bad_request("bad webhook: max_connections must be between 1 and 100")
    bot = ctx.bot
    bot.updates.set_allowed(_allowed_updates(ctx))
    if ctx.params.flag("drop_pending_updates"):
        bot.updates.pending.clear()
    bot.webhook.url = url
    bot.webhook.secret_token = secret
    bot.webhook.max_connections = max_connections
    bot.webhook.ip_address = ctx.params.string("ip_address")
    bot.webhook.last_error_date = bot.webhook.last_error_message = None
    _terminate_poll(bot)
    ctx.runtime.webhook_changed(bot)
    return True


@api_method("deleteWebhook")
async def delete_webhook(ctx: CallContext) -> bool:
    bot = ctx.bot
    if ctx.params.flag("drop_pending_updates"):
        bot.updates.pending.clear()
    bot.webhook.url = ""
    bot.webhook.secret_token = None
    ctx.runtime.webhook_changed(bot)
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(ctx: CallContext) -> dict[str, Any]:
    webhook = ctx.bot.webhook
    info: dict[str, Any] = {
        "url": webhook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(ctx.bot.updates.pending),
    }
    if webhook.url:
        info["max_connections"] = webhook.max_connections
        if webhook.ip_address:
            info["ip_address"] = webhook.ip_address
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info
