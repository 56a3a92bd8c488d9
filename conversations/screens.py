"""Showing a screen in the message whose button was pressed, so the chat does not fill up."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup


async def replace(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the pressed button's message into `text`; a new message when it cannot be edited
    (gone, too old to reach, a photo rather than a text)."""
    message = callback.message
    if message is not None and not isinstance(message, InaccessibleMessage) and message.text:
        try:
            await bot.edit_message_text(
                text,
                chat_id=callback.from_user.id,
                message_id=message.message_id,
                reply_markup=markup,
            )
            return
        except TelegramBadRequest as error:
            # A second press of the same button "edits" to the same text, which Telegram
            # refuses: the screen already shows what it should.
            if "not modified" in error.message:
                return
    await bot.send_message(callback.from_user.id, text, reply_markup=markup)
