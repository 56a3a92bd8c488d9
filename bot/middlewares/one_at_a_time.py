"""Updates of one user run one after another, each from its session's start to its commit.

aiogram's FSM middleware holds this lock, but only around what runs inside it. It now runs
inside the update's session (so that its read of the state is the update's read), and the
lock must still come first: a second tap on Kirim then opens its session only once the first
has committed, and sees the report already sent. Taken in a session, the lock would also
hold a pooled PostgreSQL connection for every tap that waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.types import TelegramObject


class OneUpdateAtATime(BaseMiddleware):
    def __init__(self, fsm: FSMContextMiddleware, isolation: BaseEventIsolation) -> None:
        self._fsm = fsm
        self._isolation = isolation

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context = self._fsm.resolve_event_context(cast(Bot, data["bot"]), data)
        if context is None:
            return await handler(event, data)
        # The update's conversation row, which the database middleware reads with its person.
        data["state_key"] = context.key
        async with self._isolation.lock(key=context.key):
            return await handler(event, data)
