"""Media messages (uploads, file_id re-use, albums) and getFile."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from playground.emulator.errors import ApiError
from playground.emulator.files import StoredFile
from playground.emulator.markup import entities_payload, prepare_caption
from playground.emulator.outgoing import reply_markup, store_bot_message, writable_chat
from playground.emulator.params import Params, Upload
from playground.emulator.registry import CallContext, api_method

_WRONG_FILE = "wrong file identifier/HTTP URL specified"
_ALBUM_KINDS = ("photo", "video", "document", "audio")
_DEFAULT_MIME = {
    "video": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "animation": "video/mp4",
}
# A file_id of one kind can be re-sent as another only where Telegram allows it.
_COMPATIBLE = {"document": {"video", "audio", "animation", "voice"}}


def store_input_file(ctx: CallContext, kind: str, value: Upload | str) -> StoredFile:
    files = ctx.state.files
    if isinstance(value, Upload):
        return files.add(kind, value.content, value.filename, value.content_type)
    existing = files.get(value)
    if existing is not None:
        if existing.kind != kind and existing.kind not in _COMPATIBLE.get(kind, set()):
            raise ApiError.bad_request(
                f"can't use file of type {existing.kind.title()} as {kind.title()}"
            )
        return existing
    if value.lower().startswith(("http://", "https://")):
        # Telegram would download the URL; the emulator never leaves the machine.
        name = PurePosixPath(value.split("?", 1)[0]).name or None
        return files.add(kind, b"", name, None)
    raise ApiError.bad_request(_WRONG_FILE)


def media_object(kind: str, stored: StoredFile, params: Params) -> Any:
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }
    width = params.integer("width", 800 if kind != "sticker" else 512)
    height = params.integer("height", 600 if kind != "sticker" else 512)
    duration = params.integer("duration", 1)
    mime = stored.mime_type or _DEFAULT_MIME.get(kind)
    if kind == "photo":
        return [{**base, "width": width, "height": height}]
    if kind == "sticker":
        return {
            **base,
            "type": "regular",
            "width": width,
            "height": height,
            "is_animated": False,
            "is_video": False,
            "emoji": params.string("emoji") or "👍",
        }
    if kind == "video_note":
        return {**base, "length": params.integer("length", 240), "duration": duration}
    if kind in ("video", "animation"):
        base.update(width=width, height=height, duration=duration)
    if kind in ("voice", "audio"):
        base["duration"] = duration
    if kind == "audio":
        base.update({k: params.string(k) for k in ("performer", "title") if params.string(k)})
    if stored.file_name and kind in ("document", "video", "audio", "animation"):
        base["file_name"] = stored.file_name
    if mime:
        base["mime_type"] = mime
    return base


def _caption(ctx: CallContext, params: Params) -> tuple[dict[str, Any], str | None]:
    parse_mode = params.string("parse_mode")
    source = params.string("caption")
    caption, entities = prepare_caption(source, parse_mode, params.json("caption_entities"))
    content: dict[str, Any] = {"caption": caption} if caption else {}
    content.update(entities_payload("caption_entities", entities, ctx.users()))
    if params.flag("has_spoiler"):
        content["has_media_spoiler"] = True
    if params.flag("show_caption_above_media"):
        content["show_caption_above_media"] = True
    return content, (source if parse_mode and caption else None)


async def _send_media(ctx: CallContext, kind: str) -> dict[str, Any]:
    chat = writable_chat(ctx)
    value = ctx.params.file(kind)
    if value is None:
        raise ApiError.bad_request(f"there is no {kind} in the request")
    caption, source = _caption(ctx, ctx.params) if kind != "sticker" else ({}, None)
    stored = store_input_file(ctx, kind, value)
    content = {kind: media_object(kind, stored, ctx.params), **caption}
    message = store_bot_message(
        ctx,
        chat,
        content,
        source_text=source,
        parse_mode=ctx.params.string("parse_mode") if source else None,
        markup=reply_markup(ctx),
    )
    return message.raw


@api_method("sendPhoto")
async def send_photo(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "photo")


@api_method("sendDocument")
async def send_document(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "document")


@api_method("sendVideo")
async def send_video(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "video")


@api_method("sendVoice")
async def send_voice(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "voice")


@api_method("sendAudio")
async def send_audio(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "audio")


@api_method("sendAnimation")
async def send_animation(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "animation")


@api_method("sendSticker")
async def send_sticker(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "sticker")


@api_method("sendVideoNote")
async def send_video_note(ctx: CallContext) -> dict[str, Any]:
    return await _send_media(ctx, "video_note")


@api_method("sendMediaGroup")
async def send_media_group(ctx: CallContext) -> list[dict[str, Any]]:
    chat = writable_chat(ctx)
    media = ctx.params.json("media", "can't parse media JSON object")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise ApiError.bad_request("wrong number of media in the album: must be between 2 and 10")
    items = [_album_item(ctx, item) for item in media]
    group_id = str(10**17 + ctx.state.next_serial())
    return [store_bot_message(ctx, chat, {**c, "media_group_id": group_id}).raw for c in items]


def _album_item(ctx: CallContext, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("type") not in _ALBUM_KINDS:
        raise ApiError.bad_request("can't parse InputMedia JSON object")
    kind = item["type"]
    item_params = Params({k: v for k, v in item.items() if k != "media"}, ctx.params.uploads)
    value = ctx.params.resolve_file(item.get("media"))
    if value is None:
        raise ApiError.bad_request(_WRONG_FILE)
    stored = store_input_file(ctx, kind, value)
    caption, _ = _caption(ctx, item_params)
    return {kind: media_object(kind, stored, item_params), **caption}


@api_method("getFile")
async def get_file(ctx: CallContext) -> dict[str, Any]:
    file_id = ctx.params.string("file_id")
    stored = ctx.state.files.get(file_id) if file_id else None
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }
