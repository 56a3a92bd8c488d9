"""One live question at a time: only the newest message of a report carries its buttons.

A report's buttons are checked against the current step when pressed (buttons.py), but a chat
where every earlier question still shows buttons invites presses that can only be refused, and
a question asked again (after /bantuan, a sticker, the menu's "report" button) left one more
keyboard behind each time. So the message that had the buttons loses them when the next one
is sent, whether the answer was a press or typed.

The id of that message is known only once it is sent, after the update's commit; it is then
kept in the conversation's data (a write of its own, SQLAlchemyStorage.update_data_if_present)
for the next update, which runs only after this one has finished (the user's lock).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from sqlalchemy.ext.asyncio import AsyncSession

from storage.fsm_storage import SQLAlchemyStorage
from storage.session_context import current_session, once_committed

log = logging.getLogger(__name__)
LIVE_KEY = "live"
_CHAINS = "report_live"

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass
class _Chain:
    """The live message of one chat while an update posts, in the order it posts."""

    live: int | None
    closed: set[int] = field(default_factory=set)


def _chain(chat_id: int, stored: int | None) -> _Chain:
    session = current_session.get()
    if session is None:
        return _Chain(stored)
    chains: dict[int, _Chain] = session.info.setdefault(_CHAINS, {})
    return chains.setdefault(chat_id, _Chain(stored))


async def _stored(state: FSMContext) -> int | None:
    value = (await state.get_data()).get(LIVE_KEY)
    return value if isinstance(value, int) else None


async def answered(state: FSMContext, chat_id: int, message_id: int) -> None:
    """The pressed message was edited to show the answer (without buttons): nothing to take
    away from it when the next question comes."""
    _chain(chat_id, await _stored(state)).closed.add(message_id)


async def post(
    bot: Bot, chat_id: int, state: FSMContext, text: str, markup: Markup | None = None
) -> None:
    """Send a message of the report (after the commit); the one with buttons until now loses
    them, and this one is remembered when it has buttons of its own."""
    chain = _chain(chat_id, await _stored(state))
    has_buttons = isinstance(markup, InlineKeyboardMarkup)
    update_session = current_session.get()

    async def send() -> None:
        previous = chain.live
        if previous is not None and previous not in chain.closed:
            with contextlib.suppress(TelegramBadRequest):
                await bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=previous, reply_markup=None
                )
        sent = await bot.send_message(chat_id, text, reply_markup=markup)
        chain.live = sent.message_id if has_buttons else None
        if chain.live != previous:
            await _remember(state, chain.live, update_session)

    await once_committed(send)


async def _remember(
    state: FSMContext, message_id: int | None, update_session: AsyncSession | None
) -> None:
    data: dict[str, Any] = {LIVE_KEY: message_id}
    try:
        if isinstance(state.storage, SQLAlchemyStorage):
            # Nothing if the report ended meanwhile: no row comes back for a finished report.
            await state.storage.update_data_if_present(state.key, data, committed_in=update_session)
        elif await state.get_state() is not None:
            await state.update_data(data)
    except Exception as error:
        # Only which message loses its buttons next depends on it: the resident's answers
        # are stored, and an apology for this would say something went wrong when nothing did.
        log.warning("could not remember the report's live message: %s", type(error).__name__)
