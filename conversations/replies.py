"""Replies said once the update has committed (storage.session_context.once_committed).

The arguments are built now, in the update's language and from its data; only the call to
Telegram waits for the commit. A reply waiting out Telegram's pace then holds no
transaction (on SQLite, the write lock every other update and the sender's alerts need),
and never announces a change that was rolled back.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from conversations import screens
from storage.session_context import AfterCommit, once_committed


async def send(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> None:
    await once_committed(lambda: bot.send_message(chat_id, text, **kwargs))


async def reply(message: Message, text: str, **kwargs: Any) -> None:
    """A new message in the chat `message` came from."""
    await once_committed(lambda: message.answer(text, **kwargs))


async def answer(callback: CallbackQuery, text: str | None = None, **kwargs: Any) -> None:
    """Answer a button press (the spinner stops; with `text`, a toast or an alert)."""
    await once_committed(answering(callback, text, **kwargs))


def answering(callback: CallbackQuery, text: str | None = None, **kwargs: Any) -> AfterCommit:
    """The answer to a button press, to be said later.

    Telegram refuses an answer to a press it considers too old: nothing is lost then (the
    reply that follows says the same), so that refusal is not a failure of the update."""

    async def answer_it() -> None:
        with contextlib.suppress(TelegramBadRequest):
            await callback.answer(text, **kwargs)

    return answer_it


async def edit_text(message: Message, text: str, **kwargs: Any) -> None:
    """Edit a message; one already showing `text` (a second press) is left as it is."""

    async def edit() -> None:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, **kwargs)

    await once_committed(edit)


async def edit_markup(
    callback: CallbackQuery, bot: Bot, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the pressed message's buttons (None removes them); a second press, which would
    "edit" to the same buttons and be refused by Telegram, leaves them as they are."""
    if callback.message is None:
        return
    chat_id, message_id = callback.from_user.id, callback.message.message_id

    async def edit() -> None:
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            )

    await once_committed(edit)


async def replace_screen(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """conversations.screens.replace, once committed."""
    await once_committed(lambda: screens.replace(callback, bot, text, markup))
