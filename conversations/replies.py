"""What the bot says in a conversation: outbox rows of the update's transaction.

A reply is queued with the change it reports (lane REPLY: after alerts and relays, before
notices) and sent by the one sender, like every other message:
- it never announces what was rolled back, and is not lost when the instance dies after the
  commit: any instance's sender sends it (the durable inbox hands the update to one instance
  only once);
- it waits its turn in the bot's one rate budget (Telegram's limits are the bot's, not a
  process's): a chat at its pace of about a message a second, or a broadcast filling the
  window, delays it instead of failing the update with a 429 and an apology;
- no reply holds the update's transaction, which on SQLite is the write lock every other
  update and the sender's alerts need.
Only the answer to a button press (the spinner stopping, a toast) goes straight out after the
commit: it is not a message under the flood limits, and a late one is worth nothing.
Edits are queued too; one Telegram refuses (the message is gone, or too old) is let go, and a
screen that cannot be edited comes as a new message (`replace_screen`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from conversations import screens
from services import outbox
from storage.session_context import current_session, once_committed

# The outbox kind of a reply (services/delivery.py tells the person when one can never go).
REPLY_KIND = "reply"
# A reply with the buttons of a question: the question before loses its own (the sender does
# it: bot/sending/questions.py, which reads this flag).
QUESTION = "question"


def message_payload(text: str, **kwargs: Any) -> dict[str, Any]:
    """sendMessage in Bot API form, HTML like the bot's default; aiogram objects as JSON."""
    params: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    params.update({name: _plain(value) for name, value in kwargs.items() if value is not None})
    return {"method": "sendMessage", "params": params}


def _plain(value: Any) -> Any:
    # The payload goes to Telegram as it is (BotApiSession.call_json): every value a field
    # has, its defaults too (ReplyKeyboardRemove's remove_keyboard), but not aiogram's
    # placeholders (Default) for the bot's own settings, which are not values.
    if isinstance(value, BaseModel):
        return to_jsonable_python(
            _without_placeholders(value.model_dump(exclude_none=True, by_alias=True))
        )
    return value


def _without_placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_placeholders(item)
            for key, item in value.items()
            if not isinstance(item, Default)
        }
    if isinstance(value, list):
        return [_without_placeholders(item) for item in value]
    return value


async def queue(chat_id: int, payload: dict[str, Any], *, kind: str = REPLY_KIND) -> bool:
    """A reply to `chat_id`, in the update's transaction; False outside an update, where
    there is nothing to queue in. (Its dedupe key is unique, nothing more: the inbox hands an
    update to its handler once.)"""
    session = current_session.get()
    if session is None:
        return False
    await outbox.enqueue_new(
        session, chat_id=chat_id, payload=payload, kind=kind, lane=outbox.Lane.REPLY
    )
    return True


async def send(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> None:
    if not await queue(chat_id, message_payload(text, **kwargs)):
        await bot.send_message(chat_id, text, **kwargs)


async def reply(message: Message, text: str, **kwargs: Any) -> None:
    """A new message in the chat `message` came from."""
    if not await queue(message.chat.id, message_payload(text, **kwargs)):
        await message.answer(text, **kwargs)


async def answer(
    callback: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press (the spinner stops; with `text`, a toast or an alert)."""
    await once_committed(answering(callback, text, show_alert=show_alert))


@dataclass(frozen=True)
class Answer:
    """The answer to a button press, to be said later (an AfterCommit).

    Telegram refuses an answer to a press it considers too old: nothing is lost then (the
    reply that follows says the same), so that refusal is not a failure of the update.

    Called, it goes through aiogram like any call of a handler's (a method model, then the
    request middlewares, none of which does anything for an answer, then the session, which
    sends an answer as JSON: bot/api_session.py). The update middleware sends `params`
    straight to the session instead (bot/middlewares/database.py): nearly every update of a
    conversation is a press, and the model and the middlewares cost 2-4 % of the bot's CPU
    per update (README, "Benchmarks")."""

    callback: CallbackQuery
    text: str | None = None
    show_alert: bool = False

    @property
    def params(self) -> dict[str, Any]:
        """The answerCallbackQuery call's parameters, as Telegram takes them."""
        params: dict[str, Any] = {"callback_query_id": self.callback.id}
        if self.text is not None:
            params["text"] = self.text
        if self.show_alert:
            params["show_alert"] = True
        return params

    async def __call__(self) -> None:
        with contextlib.suppress(TelegramBadRequest):
            await self.callback.answer(self.text, show_alert=self.show_alert)


def answering(
    callback: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> Answer:
    """The answer to a button press, to be said after the commit (`Answer`)."""
    return Answer(callback, text, show_alert)


def _edit(method: str, chat_id: int, message_id: int, **params: Any) -> dict[str, Any]:
    """An edit; refused by Telegram (already as asked, gone, too old) it is let go."""
    call = {name: _plain(value) for name, value in params.items()}
    payload = outbox.call(method, chat_id=chat_id, message_id=message_id, **call)
    return {**payload, "tolerate": True}


async def edit_text(message: Message, text: str, **kwargs: Any) -> None:
    """Edit a message; one already showing `text` (a second press) is left as it is."""
    payload = _edit(
        "editMessageText", message.chat.id, message.message_id, text=text, parse_mode="HTML",
        **kwargs,
    )  # fmt: skip
    if not await queue(message.chat.id, payload):
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, **kwargs)


async def edit_markup(
    callback: CallbackQuery, bot: Bot, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the pressed message's buttons (None removes them); a second press, which would
    "edit" to the same buttons and be refused by Telegram, leaves them as they are."""
    if callback.message is None:
        return
    await edit_markup_of(bot, callback.from_user.id, callback.message.message_id, markup)


async def edit_markup_of(
    bot: Bot, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the buttons of the message `message_id` of the chat (None removes them)."""
    payload = _edit("editMessageReplyMarkup", chat_id, message_id, reply_markup=markup)
    if not await queue(chat_id, payload):
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            )


async def replace_screen(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Show `text` in the message whose button was pressed, so the chat does not fill up; a
    new message when it cannot be edited (gone, too old to reach, a photo rather than a text)."""
    chat_id = callback.from_user.id
    fresh = message_payload(text, reply_markup=markup)
    message = callback.message
    if message is not None and not isinstance(message, InaccessibleMessage) and message.text:
        edit = outbox.call(
            "editMessageText",
            chat_id=chat_id,
            message_id=message.message_id,
            text=text,
            parse_mode="HTML",
            **({"reply_markup": _plain(markup)} if markup is not None else {}),
        )
        payload = {**edit, "or_else": fresh}
    else:
        payload = fresh
    if not await queue(chat_id, payload):
        await screens.replace(callback, bot, text, markup)


__all__ = [
    "QUESTION",
    "REPLY_KIND",
    "answer",
    "answering",
    "edit_markup",
    "edit_markup_of",
    "edit_text",
    "message_payload",
    "queue",
    "replace_screen",
    "reply",
    "send",
]
