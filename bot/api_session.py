"""The HTTP session to the Bot API: aiogram's own, with its response models kept alive.

aiogram parses every answer with `Response[method.__returning__]`, a pydantic generic model
made on the spot. pydantic (2.x) caches parametrised generics only weakly, and these classes
live in reference cycles, so every run of the garbage collector drops them and the next call
builds the class again: the schema of `Response[Message]` includes all of Message, about 15 ms
of CPU each time. In the benchmark (README, "Benchmarks") that rebuild was the largest single
item in the bot's profile, about a fifth of its CPU per update. Keeping one strong reference
per return type (a few dozen types at most) makes the cache hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

# Return type -> Response[return type]; only ever grows to the number of methods used.
_response_models: dict[Any, Any] = {}


def keep_response_model(returning: Any) -> None:
    if returning in _response_models:
        return
    _response_models[returning] = Response[returning]


class BotApiSession(AiohttpSession):
    """Also tells `on_answer` whenever Telegram answered (not with a 5xx): the long poll is
    then a free health check, and the sender need not sit out its outage backoff (up to a
    minute) once getUpdates gets through again (README, "Benchmarks", figure 5)."""

    on_answer: Callable[[], None] | None = None

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        keep_response_model(method.__returning__)
        if status_code < 500 and self.on_answer is not None:
            self.on_answer()
        return super().check_response(bot, method, status_code, content)
