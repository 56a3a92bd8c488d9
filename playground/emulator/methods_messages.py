"""Text, location and contact messages, edits, deletion, copies and forwards."""

from __future__ import annotations

from typing import Any

from playground.emulator.errors import NOT_MODIFIED, ApiError
from playground.emulator.markup import entities_payload, prepare_caption, prepare_text
from playground.emulator.outgoing import (
    find_chat,
    find_message,
    reply_markup,
    store_bot_message,
    writable_chat,
)
from playground.emulator.registry import CallContext, api_method
from playground.emulator.state import CONTENT_KEYS, MEDIA_KINDS, ChatState, StoredMessage

DELETE_WINDOW_SECONDS = 48 * 3600
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@api_method("sendMessage")
async def send_message(ctx: CallContext) -> dict[str, Any]:
    chat = writable_chat(ctx)
    parse_mode = ctx.params.string("parse_mode")
    source = ctx.params.string("text")
    text, entities = prepare_text(source, parse_mode, ctx.params.json("entities"))
    markup = reply_markup(ctx)
    content = {"text": text, **entities_payload("entities", entities, ctx.users())}
    message = store_bot_message(
        ctx,
        chat,
        content,
        source_text=source if parse_mode else None,
        parse_mode=parse_mode,
        markup=markup,
    )
    return message.raw


@api_method("sendLocation")
async def send_location(ctx: CallContext) -> dict[str, Any]:
    chat = writable_chat(ctx)
    latitude, longitude = ctx.params.number("latitude"), ctx.params.number("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise ApiError.bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise ApiError.bad_request("wrong longitude specified")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
        if ctx.params.has(key):
            location[key] = ctx.params.number(key)
    return store_bot_message(ctx, chat, {"location": location}, markup=reply_markup(ctx)).raw


@api_method("sendContact")
async def send_contact(ctx: CallContext) -> dict[str, Any]:
    chat = writable_chat(ctx)
    phone, first_name = ctx.params.string("phone_number"), ctx.params.string("first_name")
    if not phone:
        raise ApiError.bad_request("phone number is empty")
    if not first_name:
        raise ApiError.bad_request("contact first name is empty")
    contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
    for key in ("last_name", "vcard"):
        if value := ctx.params.string(key):
            contact[key] = value
    return store_bot_message(ctx, chat, {"contact": contact}, markup=reply_markup(ctx)).raw


@api_method("sendChatAction")
async def send_chat_action(ctx: CallContext) -> bool:
    writable_chat(ctx)
    if ctx.params.string("action") not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    return True


# --- edits ------------------------------------------------------------------------------------


def _message_to_edit(ctx: CallContext) -> tuple[ChatState, StoredMessage]:
    if not ctx.params.has("chat_id") and ctx.params.has("inline_message_id"):
        # Inline messages are not emulated; Telegram answers this for unknown ids.
        raise ApiError.bad_request("MESSAGE_ID_INVALID")
    chat = writable_chat(ctx)
    message_id = ctx.params.required_int("message_id", "message identifier is not specified")
    message = find_message(chat, message_id, "message to edit not found")
    if not message.from_bot:
        raise ApiError.bad_request("message can't be edited")
    return chat, message


def _apply_edit(
    ctx: CallContext,
    chat: ChatState,
    message: StoredMessage,
    changes: dict[str, Any],
    removed: tuple[str, ...],
) -> dict[str, Any]:
    markup = reply_markup(ctx)
    if markup is not None and markup.kind != "inline":
        raise ApiError.bad_request("inline keyboard expected")
    new_raw = {k: v for k, v in message.raw.items() if k not in removed and k != "edit_date"}
    new_raw.update(changes)
    # Omitting reply_markup in an edit removes the inline keyboard, as in Telegram.
    new_raw.pop("reply_markup", None)
    if markup is not None and markup.data["inline_keyboard"]:
        new_raw["reply_markup"] = markup.data
    old_raw = {k: v for k, v in message.raw.items() if k != "edit_date"}
    if new_raw == old_raw:
        raise ApiError.bad_request(NOT_MODIFIED)
    new_raw["edit_date"] = ctx.state.now()
    ctx.state.edit_message(chat, message, new_raw)
    return new_raw


@api_method("editMessageText")
async def edit_message_text(ctx: CallContext) -> dict[str, Any]:
    chat, message = _message_to_edit(ctx)
    if "text" not in message.raw:
        raise ApiError.bad_request("there is no text in the message to edit")
    parse_mode = ctx.params.string("parse_mode")
    source = ctx.params.string("text")
    text, entities = prepare_text(source, parse_mode, ctx.params.json("entities"))
    changes = {"text": text, **entities_payload("entities", entities, ctx.users())}
    result = _apply_edit(ctx, chat, message, changes, removed=("entities",))
    message.source_text, message.parse_mode = (source if parse_mode else None), parse_mode
    return result


@api_method("editMessageCaption")
async def edit_message_caption(ctx: CallContext) -> dict[str, Any]:
    chat, message = _message_to_edit(ctx)
    if message.kind not in MEDIA_KINDS:
        raise ApiError.bad_request("there is no caption in the message to edit")
    parse_mode = ctx.params.string("parse_mode")
    source = ctx.params.string("caption")
    caption, entities = prepare_caption(source, parse_mode, ctx.params.json("caption_entities"))
    changes: dict[str, Any] = {"caption": caption} if caption else {}
    changes.update(entities_payload("caption_entities", entities, ctx.users()))
    result = _apply_edit(ctx, chat, message, changes, removed=("caption", "caption_entities"))
    message.source_text, message.parse_mode = (source if parse_mode else None), parse_mode
    return result


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: CallContext) -> dict[str, Any]:
    chat, message = _message_to_edit(ctx)
    return _apply_edit(ctx, chat, message, {}, removed=())


# --- deletion ---------------------------------------------------------------------------------


def _deletable(ctx: CallContext, message: StoredMessage) -> bool:
    return ctx.state.clock() - message.date <= DELETE_WINDOW_SECONDS


@api_method("deleteMessage")
async def delete_message(ctx: CallContext) -> bool:
    chat = find_chat(ctx)
    message_id = ctx.params.required_int("message_id", "message identifier is not specified")
    message = find_message(chat, message_id, "message to delete not found")
    if not _deletable(ctx, message):
        raise ApiError.bad_request("message can't be deleted for everyone")
    ctx.state.delete_message(chat, message)
    return True


@api_method("deleteMessages")
async def delete_messages(ctx: CallContext) -> bool:
    chat = find_chat(ctx)
    message_ids = ctx.params.json("message_ids")
    if not isinstance(message_ids, list) or not message_ids:
        raise ApiError.bad_request("message identifiers are not specified")
    if len(message_ids) > 100:
        raise ApiError.bad_request("too many message identifiers specified")
    # Messages that don't exist or can't be deleted are skipped, as documented.
    for message_id in message_ids:
        message = chat.messages.get(int(message_id))
        if message is not None and not message.deleted and _deletable(ctx, message):
            ctx.state.delete_message(chat, message)
    return True


# --- copies and forwards ----------------------------------------------------------------------


def _copied_content(ctx: CallContext, source: StoredMessage) -> dict[str, Any]:
    content = {k: source.raw[k] for k in CONTENT_KEYS if k in source.raw}
    new_caption = ctx.params.has("caption") or ctx.params.flag("remove_caption")
    if source.kind in MEDIA_KINDS and new_caption:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        caption, entities = prepare_caption(
            ctx.params.string("caption"),
            ctx.params.string("parse_mode"),
            ctx.params.json("caption_entities"),
        )
        if caption:
            content["caption"] = caption
            content.update(entities_payload("caption_entities", entities, ctx.users()))
    return content


def _sources(
    ctx: CallContext, single: bool, not_found: str
) -> tuple[ChatState, list[StoredMessage]]:
    source_chat = find_chat(ctx, "from_chat_id")
    if single:
        message_id = ctx.params.required_int("message_id", "message identifier is not specified")
        return source_chat, [find_message(source_chat, message_id, not_found)]
    ids = ctx.params.json("message_ids")
    if not isinstance(ids, list) or not ids:
        raise ApiError.bad_request("message identifiers are not specified")
    found = [source_chat.messages.get(int(i)) for i in ids]
    messages = [m for m in found if m is not None and not m.deleted]
    if not messages:
        raise ApiError.bad_request(not_found)
    return source_chat, messages


def _forward_origin(chat: ChatState, source: StoredMessage) -> dict[str, Any]:
    if "forward_origin" in source.raw:
        return dict(source.raw["forward_origin"])
    if chat.type == "channel":
        return {
            "type": "channel",
            "chat": chat.api_object(),
            "message_id": source.message_id,
            "date": source.date,
        }
    return {"type": "user", "sender_user": source.raw["from"], "date": source.date}


@api_method("copyMessage")
async def copy_message(ctx: CallContext) -> Any:
    return _copy(ctx, single=True)


@api_method("copyMessages")
async def copy_messages(ctx: CallContext) -> Any:
    return _copy(ctx, single=False)


def _copy(ctx: CallContext, single: bool) -> Any:
    chat = writable_chat(ctx)
    source_chat, sources = _sources(ctx, single, "message to copy not found")
    markup = reply_markup(ctx) if single else None
    results = []
    for source in sources:
        copy = store_bot_message(
            ctx,
            chat,
            _copied_content(ctx, source),
            markup=markup,
            copied_from=(source_chat.id, source.message_id),
        )
        results.append({"message_id": copy.message_id})
    return results[0] if single else results


@api_method("forwardMessage")
async def forward_message(ctx: CallContext) -> Any:
    return _forward(ctx, single=True)


@api_method("forwardMessages")
async def forward_messages(ctx: CallContext) -> Any:
    return _forward(ctx, single=False)


def _forward(ctx: CallContext, single: bool) -> Any:
    chat = writable_chat(ctx)
    source_chat, sources = _sources(ctx, single, "message to forward not found")
    results = []
    for source in sources:
        content = {k: source.raw[k] for k in CONTENT_KEYS if k in source.raw}
        content["forward_origin"] = _forward_origin(source_chat, source)
        forwarded = store_bot_message(ctx, chat, content)
        results.append(forwarded.raw if single else {"message_id": forwarded.message_id})
    return results[0] if single else results
