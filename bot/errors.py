"""Last line of defence: an update that failed gets a calm answer, never silence.

Either the failed update's transaction was rolled back by the database middleware, so the
resident's draft is exactly as before, or it had committed and a reply after the commit did not
go out (conversations/replies.py), so what they entered is stored: the answer is true of both.
Only the exception's type is logged: its text or the update could carry what the resident wrote.

An update from the inbox that failed before its commit is tried again (bot/inbox.py): the
apology waits for the last attempt. Said on every attempt it would be wrong twice over: "please
try again" while the bot is already trying, and once more with each retry. An attempt that
succeeds needs no apology at all; the person only waited a little longer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n, gettext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox import InboxDelivery, UpdateTakenOver
from bot.logging_setup import where_raised
from bot.middlewares.language import DEFAULT_LOCALE
from storage.repositories import Repo

log = logging.getLogger(__name__)


class FriendlyErrorHandler:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], i18n: I18n) -> None:
        self._session_factory = session_factory
        self._i18n = i18n

    def as_handler(self) -> Callable[[ErrorEvent, Bot], Awaitable[bool]]:
        # aiogram awaits only coroutine *functions*; an object with an async __call__ would be
        # run in a thread pool and its coroutine silently dropped.
        async def on_error(event: ErrorEvent, bot: Bot, inbox: InboxDelivery | None = None) -> bool:
            return await self.handle(event, bot, inbox)

        return on_error

    async def handle(self, event: ErrorEvent, bot: Bot, inbox: InboxDelivery | None = None) -> bool:
        update = event.update
        if isinstance(event.exception, UpdateTakenOver):
            log.info("update %s was handled by another instance meanwhile", update.update_id)
            return True
        retried = inbox is not None and not inbox.committed and not inbox.final
        # The type and where it was raised, never the message: it may quote a resident, a
        # chat id or a statement's parameters.
        log.log(
            logging.WARNING if retried else logging.ERROR,
            "update %s failed with %s at %s%s",
            update.update_id,
            type(event.exception).__name__,
            where_raised(event.exception),
            "; it will be tried again" if retried else "",
        )
        if retried:
            return True
        message = update.message or (
            update.callback_query.message if update.callback_query else None
        )
        user = update.message.from_user if update.message else None
        if update.callback_query is not None:
            user = update.callback_query.from_user
        if user is None or message is None:
            return True
        locale = await self._locale(user.id)
        with self._i18n.context(), self._i18n.use_locale(locale):
            text = gettext(
                "Sorry, something went wrong on our side. What you entered so far is kept; "
                "please try again. If someone is in danger now, call 112."
            )
        if update.callback_query is not None:
            # The handler may have answered the button already; Telegram refuses a second answer.
            with contextlib.suppress(TelegramAPIError):
                await update.callback_query.answer()
        try:
            await bot.send_message(user.id, text)
        except Exception as exc:  # the apology must not raise in turn
            log.warning("could not send the error notice: %s", type(exc).__name__)
        return True

    async def _locale(self, user_id: int) -> str:
        try:
            async with self._session_factory() as session:
                user = await Repo.over(session).users.by_telegram_id(user_id)
        except Exception:
            return DEFAULT_LOCALE
        if user is not None and user.language in self._i18n.available_locales:
            return user.language
        return DEFAULT_LOCALE
