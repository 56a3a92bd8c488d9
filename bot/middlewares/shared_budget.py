"""Every message a handler sends itself waits for, and takes, room in the sender's budget.

The sender paces the outbox under Telegram's bot-wide ~30 messages a second, but replies to
residents go straight out from their handlers. Uncounted, they came on top of a broadcast
running at its full rate, and Telegram answered the next copy with 429 (tests/broadcasts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.sending.budget import counts_against_limits


class SharedBudgetMiddleware(BaseRequestMiddleware):
    def __init__(self, make_room: Callable[[], Awaitable[None]]) -> None:
        self._make_room = make_room

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if counts_against_limits(method.__api_method__):
            await self._make_room()
        return await make_request(bot, method)
