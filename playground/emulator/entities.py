"""Message entities: the model, Telegram's ordering, UTF-16 helpers and parse_mode dispatch.

Offsets and lengths are in UTF-16 code units, exactly as in the Bot API.  The
parsers live in markup_html.py and markup_markdown.py and the parse_mode
dispatch in markup.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# tdlib MessageEntity::get_type_priority: among entities with the same offset and
# length, the lower priority comes first (e.g. code before bold before italic).
_PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "pre_code": 10,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "bank_card_number": 50,
    "media_timestamp": 50,
    "spoiler": 94,
    "custom_emoji": 99,
    "expandable_blockquote": 0,
    "date_time": 30,
}

BOT_API_TYPES = frozenset(_PRIORITY) - {"pre_code", "bank_card_number", "media_timestamp"}


class EntityParseError(ValueError):
    """Bad markup; str(error) is the text Telegram puts after "can't parse entities: "."""


@dataclass(frozen=True)
class Entity:
    """One entity.  ``pre_code`` is tdlib's name for a ``pre`` with a language."""

    type: str
    offset: int
    length: int
    url: str | None = None
    user_id: int | None = None
    language: str | None = None
    custom_emoji_id: int | None = None
    unix_time: int | None = None
    date_time_format: str | None = None

    def sort_key(self) -> tuple[int, int, int]:
        return (self.offset, -self.length, _PRIORITY.get(self.type, 50))

    def shifted(self, offset: int, length: int) -> Entity:
        return replace(self, offset=offset, length=length)

    def to_bot_api(self, users: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        """The MessageEntity object a bot receives."""
        result: dict[str, Any] = {
            "type": "pre" if self.type == "pre_code" else self.type,
            "offset": self.offset,
            "length": self.length,
        }
        if self.url is not None:
            result["url"] = self.url
        if self.user_id is not None:
            known = (users or {}).get(self.user_id)
            result["user"] = known or {"id": self.user_id, "is_bot": False, "first_name": ""}
        if self.language:
            result["language"] = self.language
        if self.custom_emoji_id is not None:
            result["custom_emoji_id"] = str(self.custom_emoji_id)
        if self.unix_time is not None:
            result["unix_time"] = self.unix_time
            if self.date_time_format:
                result["date_time_format"] = self.date_time_format
        return result

    @classmethod
    def from_bot_api(cls, data: dict[str, Any]) -> Entity:
        """Entity from an ``entities`` parameter the bot sent explicitly."""
        kind = str(data.get("type", ""))
        language = data.get("language") or None
        if kind == "pre" and language:
            kind = "pre_code"
        user = data.get("user")
        emoji = data.get("custom_emoji_id")
        return cls(
            type=kind,
            offset=int(data.get("offset", 0)),
            length=int(data.get("length", 0)),
            url=data.get("url"),
            user_id=int(user["id"]) if isinstance(user, dict) and "id" in user else None,
            language=language,
            custom_emoji_id=int(emoji) if emoji is not None else None,
            unix_time=data.get("unix_time"),
            date_time_format=data.get("date_time_format"),
        )


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=Entity.sort_key)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le", "surrogatepass")
    return data[2 * offset : 2 * (offset + length)].decode("utf-16-le", "replace")


def date_time_format_from_flags(flags: int) -> str:
    """Canonical Bot API date_time_format for tdlib's date flags."""
    if flags & DATE_RELATIVE:
        return "r"
    result = "w" if flags & DATE_DAY_OF_WEEK else ""
    if flags & DATE_SHORT_DATE:
        result += "d"
    elif flags & DATE_LONG_DATE:
        result += "D"
    if flags & DATE_SHORT_TIME:
        result += "t"
    elif flags & DATE_LONG_TIME:
        result += "T"
    return result


DATE_RELATIVE = 1
DATE_SHORT_TIME = 2
DATE_LONG_TIME = 4
DATE_SHORT_DATE = 8
DATE_LONG_DATE = 16
DATE_DAY_OF_WEEK = 32


def get_date_flags(date_format: str) -> int:
    if date_format in ("r", "R"):
        return DATE_RELATIVE
    flags = 0
    letters = {
        "t": DATE_SHORT_TIME,
        "T": DATE_LONG_TIME,
        "d": DATE_SHORT_DATE,
        "D": DATE_LONG_DATE,
        "w": DATE_DAY_OF_WEEK,
        "W": DATE_DAY_OF_WEEK,
    }
    for letter in date_format:
        if letter not in letters:
            raise EntityParseError("Invalid date format used")
        flags |= letters[letter]
    return flags


def date_time_entity(offset: int, length: int, unix_time: int, flags: int) -> Entity:
    return Entity(
        "date_time",
        offset,
        length,
        unix_time=unix_time,
        date_time_format=date_time_format_from_flags(flags) or None,
    )


def detect_bot_commands(text: str) -> list[Entity]:
    """bot_command entities as Telegram marks them in a user's message (tdlib's rules)."""
    entities: list[Entity] = []
    index = 0
    while (index := text.find("/", index)) != -1:
        start = index
        index += 1
        previous = text[start - 1] if start else ""
        if previous and (previous.isalnum() or previous in "_/<>"):
            continue
        end = index
        while end < len(text) and end - index < 64 and _is_command_char(text[end]):
            end += 1
        if end == index:
            continue
        if end < len(text) and text[end] == "@":
            mention_end = end + 1
            while mention_end < len(text) and _is_command_char(text[mention_end]):
                mention_end += 1
            if 3 <= mention_end - end - 1 <= 32:
                end = mention_end
        following = text[end] if end < len(text) else ""
        if following and (following.isalnum() or following in "_/<>"):
            continue
        entities.append(Entity("bot_command", utf16_len(text[:start]), utf16_len(text[start:end])))
        index = end
    return entities


def _is_command_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")
