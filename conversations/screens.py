"""Showing a screen in the message whose button was pressed, so the chat does not fill up."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup


async def replace(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the pressed button's message into `text` (a new message if it is gone)."""
    if callback.message is None:
        await bot.send_message(callback.from_user.id, text, reply_markup=markup)
        return
    # A second press of the same button "edits" to the same text, which Telegram refuses with
    # "message is not modified": the screen already shows what it should.
    with suppress(TelegramBadRequest):
        await bot.edit_message_text(
            text,
            chat_id=callback.from_user.id,
            message_id=callback.message.message_id,
            reply_markup=markup,
        )
