"""Long polling that confirms a batch of updates only once it is stored in the inbox.

getUpdates with an offset confirms every update before it: Telegram forgets them. aiogram's
own loop asks for the next batch as soon as it has handed the last one to its handlers, so an
instance that died with handlers still running lost those updates for good. Here a batch is
stored (bot/inbox.py) and committed first; only then does the next getUpdates carry the
offset past it. A batch that cannot be stored is not confirmed: Telegram gives it again.

The calls go through the bot's own session, so the request middlewares see them and the
sender learns from each answer that Telegram is reachable again (bot/api_session.py).
Failures (409 Conflict from another poller or a webhook, network errors, 5xx, the database)
are logged once when they begin and once when they end, and retried with a growing, jittered
pause; the loop itself never gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.api_session import api_session
from bot.config import ConfigError
from bot.inbox import Inbox

log = logging.getLogger(__name__)

# aiogram's defaults for start_polling: a 10 s long poll, pauses from 1 s to 5 s.
POLL_TIMEOUT = 10
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


# How long, during a burst, the next getUpdates waits for more updates to arrive (seconds).
GATHER = 0.02


class RideOut:
    """A failure waited out: logged once when it begins (and when it changes) and once when it
    ends, with growing, jittered pauses meanwhile. `where` starts each log line."""

    def __init__(self, where: str, backoff: BackoffConfig) -> None:
        self._where = where
        self._config = backoff
        self._backoff = Backoff(backoff)
        self._trouble: str | None = None

    def failing(self, trouble: str) -> None:
        if trouble != self._trouble:
            log.warning(
                "%s: %s; trying again with pauses of up to %ss",
                self._where,
                trouble,
                self._config.max_delay,
            )
            self._trouble = trouble

    def working(self) -> None:
        if self._trouble is not None:
            log.info("%s: working again after %s failed tries", self._where, self._backoff.counter)
            self._trouble = None
            self._backoff.reset()

    async def pause(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=next(self._backoff))


class Poller:
    def __init__(
        self,
        bot: Bot,
        inbox: Inbox,
        *,
        allowed_updates: Sequence[str] | None,
        timeout: int = POLL_TIMEOUT,
        backoff: BackoffConfig = BACKOFF,
    ) -> None:
        self._bot = bot
        self._session = api_session(bot)
        self._inbox = inbox
        self._allowed = list(allowed_updates) if allowed_updates is not None else None
        self._timeout = timeout
        self._outage = RideOut("polling", backoff)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set. A long poll in progress is abandoned at once; a batch
        being stored is stored first."""
        offset: int | None = None
        while not stop.is_set():
            updates = await self._next_batch(offset, stop)
            if not updates:
                continue
            if not await self._store(updates, stop):
                return
            # Stored: the next call's offset confirms the batch to Telegram.
            offset = updates[-1][0].update_id + 1
            if self._inbox.in_flight:
                # A burst: the next call brings several updates in one store rather than one
                # each. A quiet bot asks again at once.
                await asyncio.sleep(GATHER)

    async def _next_batch(
        self, offset: int | None, stop: asyncio.Event
    ) -> list[tuple[Update, dict[str, Any]]]:
        """The next batch, each update parsed and with its JSON as Telegram sent it (what the
        inbox stores): read as JSON once, rather than parsed and then written out again."""
        params: dict[str, Any] = {"timeout": self._timeout}
        if offset is not None:
            params["offset"] = offset
        if self._allowed is not None:
            params["allowed_updates"] = self._allowed
        # Longer than the poll itself, or a quiet poll would end in a timeout error.
        patience = self._session.timeout + self._timeout
        request = asyncio.ensure_future(
            self._session.call_json(self._bot, GetUpdates, params, patience=patience)
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not request.done():
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await request
            return []
        try:
            batch = [self._parsed(raw) for raw in request.result()]
        except Exception as error:
            self._outage.failing(_describe(error))
            await self._outage.pause(stop)
            return []
        self._outage.working()
        return batch

    def _parsed(self, raw: dict[str, Any]) -> tuple[Update, dict[str, Any]]:
        return Update.model_validate(raw, context={"bot": self._bot}), raw

    async def _store(
        self, received: list[tuple[Update, dict[str, Any]]], stop: asyncio.Event
    ) -> bool:
        """Store the batch, retrying while the database refuses; False if stopped first (the
        batch stays unconfirmed, and Telegram sends it to whoever polls next)."""
        while not stop.is_set():
            try:
                await self._inbox.store(received)
            except Exception as error:
                self._outage.failing(f"the database refused the updates ({type(error).__name__})")
                await self._outage.pause(stop)
                continue
            self._outage.working()
            return True
        return False


async def until_answered(
    call: Callable[[], Awaitable[Any]],
    what: str,
    stop: asyncio.Event,
    backoff: BackoffConfig | None = None,
) -> bool:
    """The start-up's first call to Telegram (`what`), tried until Telegram answers it: a
    server that boots before its network, or Telegram down for a while, is waited out as the
    poller waits out an outage, not a traceback and an exit. False if `stop` came first.

    A token Telegram refuses (401) or does not know (404) is no outage: ConfigError, which
    `python -m bot` reports as a configuration mistake. The log names the error's type only."""
    outage = RideOut("start-up", backoff or BACKOFF)
    while not stop.is_set():
        try:
            await call()
        except (TelegramUnauthorizedError, TelegramNotFound) as refused:
            raise ConfigError(
                f"Telegram refused BOT_TOKEN ({type(refused).__name__}): check the token from "
                "@BotFather, and TELEGRAM_API_URL if it is set"
            ) from None
        except (TelegramNetworkError, TelegramServerError) as error:
            outage.failing(f"{what} failed with {type(error).__name__}")
            await outage.pause(stop)
            continue
        outage.working()
        return True
    return False


def _describe(error: Exception) -> str:
    if isinstance(error, TelegramConflictError):
        # Another process polls with this token, or a webhook was set after our start.
        return "Telegram answered 409 Conflict (another poller, or a webhook)"
    return f"getUpdates failed with {type(error).__name__}"


__all__ = ["BACKOFF", "POLL_TIMEOUT", "Poller", "RideOut", "until_answered"]
