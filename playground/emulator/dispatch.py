"""Running one Bot API call: auth, method lookup, injected faults, flood limits, recording.

Shared by the HTTP routes and by method calls a webhook answers with.
"""

from __future__ import annotations

from typing import Any

# Imported for their @api_method registrations.
import playground.emulator.methods_bot
import playground.emulator.methods_media
import playground.emulator.methods_messages
import playground.emulator.methods_updates  # noqa: F401
from playground.emulator.errors import ApiError
from playground.emulator.faults import Faults
from playground.emulator.limits import RateLimiter
from playground.emulator.params import Params
from playground.emulator.recording import Call, Stats
from playground.emulator.registry import CallContext, Runtime, find_method, is_counted_send
from playground.emulator.state import BotState, EmulatorState

# What a paid broadcast costs, in tenths of a Telegram Star.
PAID_BROADCAST_TENTHS = 1


class Dispatcher:
    def __init__(
        self,
        state: EmulatorState,
        runtime: Runtime,
        limiter: RateLimiter,
        faults: Faults,
        stats: Stats,
        calls: list[Call],
    ) -> None:
        self.state = state
        self.runtime = runtime
        self.limiter = limiter
        self.faults = faults
        self.stats = stats
        self.calls = calls

    def record(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        status: int,
        body: dict[str, Any],
        at: float,
        via: str = "http",
    ) -> None:
        ok = bool(body.get("ok"))
        call = Call(
            method=method,
            params=params,
            ok=ok,
            error_code=None if ok else body.get("error_code"),
            description=None if ok else body.get("description"),
            at=at,
            token=token,
            result=body.get("result"),
            via=via,
        )
        self.calls.append(call)
        if status == 429:
            self.stats.count(token, "429")
        elif status == 403:
            self.stats.count(token, "403")
        elif status >= 500:
            self.stats.count(token, "5xx")

    def _flood_key(self, bot: BotState, params: Params) -> tuple[int | str | None, bool]:
        try:
            chat_id = params.chat_id()
        except ApiError:
            return None, False
        chat = bot.find_chat(chat_id)
        key = chat.id if chat is not None else chat_id
        return key, isinstance(key, int) and key < 0

    async def execute(
        self, token: str, method: str, params: Params, via: str = "http"
    ) -> tuple[int, dict[str, Any]]:
        at = self.state.clock()
        bot = self.state.bots.get(token)
        entry = find_method(method)
        canonical = entry[0] if entry else method
        try:
            if bot is None:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found")
            if injected := self.faults.take(canonical, _chat_of(params)):
                raise injected
            counted = is_counted_send(canonical)
            chat_key, is_group = self._flood_key(bot, params) if counted else (None, False)
            paid = counted and params.flag("allow_paid_broadcast")
            if paid and bot.star_tenths < PAID_BROADCAST_TENTHS:
                raise ApiError(400, "Bad Request: not enough Telegram Stars for a paid broadcast")
            if counted and (wait := self.limiter.admit(token, chat_key, is_group, paid)):
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            try:
                result = await entry[1](CallContext(self.state, bot, params, self.runtime))
            except ApiError:
                if counted:
                    self.limiter.refund(token, chat_key, is_group, paid)
                raise
            if counted:
                self.stats.count(token, "sent", len(result) if isinstance(result, list) else 1)
            if paid:
                bot.star_tenths -= PAID_BROADCAST_TENTHS
                self.stats.count(token, "paid")
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.error_code, error.payload()
        self.record(token, canonical, params.snapshot(), status, body, at, via)
        if status == 200 and (hold := self.faults.holding(canonical, _chat_of(params))):
            hold.held += 1
            hold.reached.set()
            await hold.released.wait()
        return status, body


def _chat_of(params: Params) -> int | str | None:
    try:
        return params.chat_id()
    except ApiError:
        return None
