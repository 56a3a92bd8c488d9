"""Turning a method's text/caption + parse_mode/entities into what the chat shows.

Applies parse_mode, then Telegram's trimming and length rules, raising the
same 400 errors the Bot API gives.
"""

from __future__ import annotations

from typing import Any

from playground.emulator.entities import Entity, EntityParseError, sort_entities, utf16_len
from playground.emulator.errors import ApiError
from playground.emulator.markup_html import parse_html
from playground.emulator.markup_markdown import parse_markdown, parse_markdown_v2

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}
# Characters Telegram strips from both ends of a message.
_TRIMMED = " \t\n\r\v\f\u2800"


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[Entity]]:
    """Apply parse_mode (or explicit entities); bad markup becomes Telegram's 400."""
    if parse_mode:
        parser = _PARSERS.get(parse_mode.lower())
        if parser is None:
            raise ApiError.bad_request("unsupported parse_mode")
        try:
            return parser(text)
        except EntityParseError as error:
            raise ApiError.bad_request(f"can't parse entities: {error}") from None
    if not entities:
        return text, []
    try:
        return text, sort_entities([Entity.from_bot_api(e) for e in entities])
    except (TypeError, ValueError, KeyError):
        raise ApiError.bad_request("can't parse entities JSON object") from None


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace and clip entities to what is left."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return text, [e for e in entities if e.length > 0]
    start = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    end = start + utf16_len(stripped)
    clipped = []
    for entity in entities:
        begin = max(entity.offset, start)
        finish = min(entity.offset + entity.length, end)
        if finish > begin:
            clipped.append(entity.shifted(begin - start, finish - begin))
    return stripped, clipped


def prepare_text(
    text: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[Entity]]:
    """Message text as sent by sendMessage/editMessageText."""
    if text is None:
        raise ApiError.bad_request("message text is empty")
    plain, parsed = trim(*parse_formatted(text, parse_mode, entities))
    if not plain:
        raise ApiError.bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT_LENGTH:
        raise ApiError.bad_request("message is too long")
    return plain, parsed


def prepare_caption(
    caption: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[Entity]]:
    """Media caption; an empty caption is allowed."""
    if not caption:
        return "", []
    plain, parsed = trim(*parse_formatted(caption, parse_mode, entities))
    if utf16_len(plain) > MAX_CAPTION_LENGTH:
        raise ApiError.bad_request("message caption is too long")
    return plain, parsed


def entities_payload(
    key: str, entities: list[Entity], users: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """{"entities": [...]} or {} — Telegram omits the field when there are none."""
    return {key: [e.to_bot_api(users) for e in entities]} if entities else {}
