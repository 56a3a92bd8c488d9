"""What every message-sending method shares: target chat checks, replies, markup, storing."""

from __future__ import annotations

from typing import Any

from playground.emulator.errors import BOT_BLOCKED, CHAT_NOT_FOUND, ApiError
from playground.emulator.keyboards import ReplyMarkup, parse_reply_markup
from playground.emulator.registry import CallContext
from playground.emulator.state import ChatState, StoredMessage


def find_chat(ctx: CallContext, name: str = "chat_id") -> ChatState:
    chat = ctx.bot.find_chat(ctx.params.chat_id(name))
    if chat is None:
        raise ApiError.bad_request(CHAT_NOT_FOUND)
    return chat


def writable_chat(ctx: CallContext, name: str = "chat_id") -> ChatState:
    """The chat the bot writes to; a user who blocked the bot makes that a 403."""
    chat = find_chat(ctx, name)
    if chat.blocked:
        raise ApiError.forbidden(BOT_BLOCKED)
    return chat


def find_message(chat: ChatState, message_id: int, not_found: str) -> StoredMessage:
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise ApiError.bad_request(not_found)
    return message


def reply_markup(ctx: CallContext) -> ReplyMarkup | None:
    return parse_reply_markup(ctx.params.get("reply_markup"))


def _reply_target(ctx: CallContext, chat: ChatState) -> dict[str, Any] | None:
    params = ctx.params.json("reply_parameters", "can't parse reply parameters JSON object")
    if isinstance(params, dict):
        message_id = params.get("message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if params.get("chat_id") not in (None, chat.id):
            other = ctx.bot.find_chat(params["chat_id"])
            chat = other if other is not None else chat
    else:
        message_id = ctx.params.integer("reply_to_message_id")
        allow_missing = ctx.params.flag("allow_sending_without_reply")
    if message_id is None:
        return None
    replied = chat.messages.get(int(message_id))
    if replied is None or replied.deleted:
        if allow_missing:
            return None
        raise ApiError.bad_request("message to be replied not found")
    # Telegram does not nest replies inside replies.
    return {k: v for k, v in replied.raw.items() if k != "reply_to_message"}


def store_bot_message(
    ctx: CallContext,
    chat: ChatState,
    content: dict[str, Any],
    *,
    source_text: str | None = None,
    parse_mode: str | None = None,
    markup: ReplyMarkup | None = None,
    copied_from: tuple[int, int] | None = None,
) -> StoredMessage:
    """Append a bot message to the chat, with the optional reply and keyboard parameters."""
    content = dict(content)
    replied = _reply_target(ctx, chat)
    if replied is not None:
        content["reply_to_message"] = replied
    if ctx.params.flag("protect_content"):
        content["has_protected_content"] = True
    if markup is not None and markup.kind == "inline" and markup.data["inline_keyboard"]:
        # Only inline keyboards are part of the Message object the bot gets back.
        content["reply_markup"] = markup.data
    return ctx.state.add_message(
        ctx.bot,
        chat,
        from_bot=True,
        sender=ctx.bot.api_user(),
        content=content,
        source_text=source_text,
        parse_mode=parse_mode,
        reply_keyboard=markup.data if markup and markup.kind == "keyboard" else None,
        remove_keyboard=bool(markup and markup.kind == "remove"),
        copied_from=copied_from,
    )
