"""Builds the StepContext for report handlers, so each handler takes one argument."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import I18n

from conversations.report import flow
from conversations.report.context import StepContext


class StepContextMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state = data["state"]
        step = await flow.current_step(state)
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        if step is None or user is None or not isinstance(event, Message | CallbackQuery):
            return await handler(event, data)
        i18n: I18n = data["i18n"]
        data["ctx"] = StepContext(
            bot=data["bot"],
            chat_id=chat.id if chat is not None else user.id,
            user_id=user.id,
            language=i18n.current_locale,
            state=state,
            draft=await flow.load_draft(state),
            step=step,
            gazetteer=data["gazetteer"],
            options=data["options"],
            repo=data["repo"],
        )
        return await handler(event, data)
