"""One live question at a time: only the newest message of a report carries its buttons.

A report's buttons are checked against the current step when pressed (buttons.py), but a chat
where every earlier question still shows buttons invites presses that can only be refused, and
a question asked again (after /bantuan, a sticker, the menu's "report" button) left one more
keyboard behind each time. So the message that had the buttons loses them when the next one
is sent, whether the answer was a press or typed.

Questions are replies like any other (conversations/replies.py), sent after the update's
commit: the update asking the next question cannot know the message id of the one before, and
may run while that one is still on its way. The sender can, and does it: a reply queued as a
question takes the buttons from the question sent to that chat before (bot/sending/
questions.py).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from conversations import replies

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


async def post(bot: Bot, chat_id: int, text: str, markup: Markup | None = None) -> None:
    """Queue a message of the report: with buttons, a question, from now on the only one."""
    if not isinstance(markup, InlineKeyboardMarkup):
        await replies.send(bot, chat_id, text, reply_markup=markup)
        return
    payload = {**replies.message_payload(text, reply_markup=markup), replies.QUESTION: True}
    if not await replies.queue(chat_id, payload):
        await bot.send_message(chat_id, text, reply_markup=markup)


__all__ = ["Markup", "post"]
