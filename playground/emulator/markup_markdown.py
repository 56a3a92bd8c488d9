"""parse_mode=MarkdownV2 and legacy Markdown, ports of tdlib's parse_markdown_v2/parse_markdown.

Like markup_html.py this walks UTF-8 bytes so that byte offsets in error
messages match Telegram's.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.emulator.entities import (
    Entity,
    EntityParseError,
    date_time_entity,
    get_date_flags,
    sort_entities,
)
from playground.emulator.links import (
    LinkError,
    get_checked_link,
    get_link_custom_emoji_id,
    get_link_date_format,
    get_link_user_id,
    is_valid_user_id,
)

# tdlib prints entity types by these names in "Can't find end of X entity" errors.
_ERROR_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
_RESERVED = frozenset(b"_*[]()~`>#+-=|{}.!\n")
_CODE_RESERVED = frozenset(b"`")
_CODE_TYPES = frozenset({"code", "pre", "pre_code"})
_SPACE = frozenset(b" \t\r\n\0\v")
_NL, _CR, _BACKSLASH, _BACKTICK = 10, 13, 92, 96


def _is_escapable(byte: int) -> bool:
    # tdlib compares a signed char: only ASCII 1..126 can be escaped.
    return 0 < byte <= 126


def _text(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", "surrogatepass")


@dataclass
class _Open:
    type: str
    argument: str
    utf16_offset: int
    byte_offset: int
    begin_pos: int

    def missing_end(self) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of {_ERROR_NAMES[self.type]} entity at byte offset {self.byte_offset}"
        )


class _MarkdownV2Parser:
    def __init__(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.size = len(data)
        self.buf = data + b"\0\0\0\0"
        self.out = bytearray()
        self.entities: list[Entity] = []
        self.nested: list[_Open] = []
        self.utf16 = 0
        self.have_blockquote = False
        self.can_start_blockquote = True

    def at(self, index: int) -> int:
        return self.buf[index] if index < len(self.buf) else 0

    def run(self) -> tuple[str, list[Entity]]:
        i = 0
        while i < self.size:
            i = self.step(i) + 1
        self.finish()
        return _text(self.out), sort_entities(self.entities)

    def step(self, i: int) -> int:
        """Consume the construct at ``i``; returns the index of its last byte."""
        c = self.buf[i]
        if c == _BACKSLASH and _is_escapable(self.at(i + 1)):
            i += 1
            self.utf16 += 1
            self.out.append(self.buf[i])
            if self.buf[i] != _CR:
                self.can_start_blockquote = self.buf[i] == _NL
            return i
        inside_code = bool(self.nested) and self.nested[-1].type in _CODE_TYPES
        if c not in (_CODE_RESERVED if inside_code else _RESERVED):
            if c & 0xC0 != 0x80:
                self.utf16 += 1 + (c >= 0xF0)
                if c != _CR:
                    self.can_start_blockquote = False
            self.out.append(c)
            return i
        if self.is_end_of_entity(i, c):
            return self.close(i, c)
        return self.open(i, c)

    def is_end_of_entity(self, i: int, c: int) -> bool:
        if not self.nested:
            return False
        if self.have_blockquote and c == _NL and (i + 1 == self.size or self.at(i + 1) != ord(">")):
            return True
        kind = self.nested[-1].type
        nxt, nxt2 = self.at(i + 1), self.at(i + 2)
        return {
            "bold": c == ord("*"),
            "italic": c == ord("_") and nxt != ord("_"),
            "code": c == _BACKTICK,
            "pre": c == _BACKTICK and nxt == _BACKTICK and nxt2 == _BACKTICK,
            "pre_code": c == _BACKTICK and nxt == _BACKTICK and nxt2 == _BACKTICK,
            "text_link": c == ord("]"),
            "underline": c == ord("_") and nxt == ord("_"),
            "strikethrough": c == ord("~"),
            "spoiler": c == ord("|") and nxt == ord("|"),
            "custom_emoji": c == ord("]"),
            "blockquote": False,
        }[kind]

    def reserved(self, c: int) -> EntityParseError:
        return EntityParseError(
            f"Character '{chr(c)}' is reserved and must be escaped with the preceding '\\'"
        )

    def open(self, i: int, c: int) -> int:
        byte_offset = i
        argument = ""
        char = chr(c)
        if char == "_":
            kind = "underline" if self.at(i + 1) == ord("_") else "italic"
            i += kind == "underline"
        elif char == "*":
            kind = "bold"
        elif char == "~":
            kind = "strikethrough"
        elif char == "|":
            if self.at(i + 1) != ord("|"):
                raise self.reserved(c)
            kind = "spoiler"
            i += 1
        elif char == "[":
            kind = "text_link"
        elif char == "`":
            kind, argument, i = self.open_code(i)
        elif char == "!":
            if self.at(i + 1) != ord("["):
                raise self.reserved(c)
            kind = "custom_emoji"
            i += 1
        elif char == "\n":
            self.utf16 += 1
            self.out.append(_NL)
            self.can_start_blockquote = True
            return i
        elif char == ">":
            if not self.can_start_blockquote:
                raise self.reserved(c)
            if self.have_blockquote:
                return i  # a continuation line of the current quote
            kind = "blockquote"
            self.have_blockquote = True
        else:
            raise self.reserved(c)
        self.nested.append(_Open(kind, argument, self.utf16, byte_offset, len(self.out)))
        return i

    def open_code(self, i: int) -> tuple[str, str, int]:
        if not (self.at(i + 1) == _BACKTICK and self.at(i + 2) == _BACKTICK):
            return "code", "", i
        i += 3
        kind, argument = "pre", ""
        language_end = i
        while self.at(language_end) not in _SPACE and self.at(language_end) != _BACKTICK:
            language_end += 1
        if i != language_end and language_end < self.size and self.at(language_end) != _BACKTICK:
            kind, argument = "pre_code", _text(self.buf[i:language_end])
            i = language_end
        # One line break right after the opening fence is not part of the code.
        if self.at(i) in (_NL, _CR):
            pair = self.at(i + 1) in (_NL, _CR) and self.at(i) != self.at(i + 1)
            i += 2 if pair else 1
        return kind, argument, i - 1

    def read_url(self, i: int) -> tuple[str, int]:
        """URL inside "(...)" starting at ``i``; returns it and the index of ')'."""
        url = bytearray()
        url_begin = i
        while i < self.size and self.buf[i] != ord(")"):
            if self.buf[i] == _BACKSLASH and _is_escapable(self.at(i + 1)):
                url.append(self.buf[i + 1])
                i += 2
                continue
            url.append(self.buf[i])
            i += 1
        if self.at(i) != ord(")"):
            raise EntityParseError(f"Can't find end of a URL at byte offset {url_begin}")
        return _text(url), i

    def close(self, i: int, c: int) -> int:
        current = self.nested[-1]
        kind = current.type
        if c == _NL and kind != "blockquote":
            # "||" right before the end of a quote's last line makes the quote expandable.
            just_opened = current.byte_offset == i - 2 or (
                current.byte_offset == i - 3 and self.out and self.out[-1] == _CR
            )
            if kind != "spoiler" or not just_opened:
                raise current.missing_end()
            self.nested.pop()
            current = self.nested[-1]
            if current.type != "blockquote":
                raise current.missing_end()
            kind = "expandable_blockquote"
        offset = current.utf16_offset
        skip = self.utf16 == offset
        entity: Entity | None = None
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind == "text_link":
            if self.at(i + 1) != ord("("):
                url = _text(self.out[current.begin_pos :])
            else:
                url, i = self.read_url(i + 2)
            user_id = get_link_user_id(url)
            if is_valid_user_id(user_id):
                entity = Entity("text_mention", offset, self.utf16 - offset, user_id=user_id)
            elif checked := get_checked_link(url):
                entity = Entity("text_link", offset, self.utf16 - offset, url=checked)
            else:
                skip = True
        elif kind == "custom_emoji":
            if self.at(i + 1) != ord("("):
                raise EntityParseError("The entity must contain a tg://emoji or tg://time URL")
            url, i = self.read_url(i + 2)
            entity = self.emoji_or_time(url, offset, self.utf16 - offset)
        elif kind in ("blockquote", "expandable_blockquote"):
            self.have_blockquote = False
            self.out.append(self.buf[i])
            self.can_start_blockquote = True
            self.utf16 += 1
            skip = False
        if not skip:
            length = self.utf16 - offset
            if entity is None:
                language = current.argument if kind == "pre_code" else None
                entity = Entity(kind, offset, length, language=language)
            self.entities.append(entity)
        self.nested.pop()
        return i

    @staticmethod
    def emoji_or_time(url: str, offset: int, length: int) -> Entity:
        try:
            emoji_id = get_link_custom_emoji_id(url)
        except LinkError:
            pass
        else:
            return Entity("custom_emoji", offset, length, custom_emoji_id=emoji_id)
        try:
            date, date_format = get_link_date_format(url)
        except LinkError:
            raise EntityParseError("Invalid tg://emoji or tg://time URL specified") from None
        return date_time_entity(offset, length, date, get_date_flags(date_format))

    def finish(self) -> None:
        if self.have_blockquote:
            kind = "blockquote"
            top = self.nested[-1]
            if top.type == "spoiler" and top.byte_offset == self.size - 2:
                self.nested.pop()
                kind = "expandable_blockquote"
            top = self.nested[-1]
            if top.type == "blockquote":
                self.have_blockquote = False
                if self.utf16 != top.utf16_offset:
                    length = self.utf16 - top.utf16_offset
                    self.entities.append(Entity(kind, top.utf16_offset, length))
                self.nested.pop()
        if self.nested:
            raise self.nested[-1].missing_end()


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of a MarkdownV2 message; raises EntityParseError."""
    return _MarkdownV2Parser(text).run()


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Legacy parse_mode=Markdown (tdlib parse_markdown)."""
    data = text.encode("utf-8", "surrogatepass")
    size = len(data)
    buf = data + b"\0\0\0\0"
    out = bytearray()
    entities: list[Entity] = []
    utf16 = 0
    i = 0
    while i < size:
        c = buf[i]
        if c == _BACKSLASH and buf[i + 1] in b"_*`[":
            out.append(buf[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in b"_*`[":
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue
        begin_pos = i
        end_char = ord("]") if c == ord("[") else c
        is_pre = False
        language = ""
        i += 1
        if c == _BACKTICK and buf[i] == _BACKTICK and buf[i + 1] == _BACKTICK:
            i += 2
            is_pre = True
            language_end = i
            while buf[language_end] not in _SPACE and buf[language_end] != _BACKTICK:
                language_end += 1
            if i != language_end and language_end < size and buf[language_end] != _BACKTICK:
                language = _text(buf[i:language_end])
                i = language_end
            if buf[i] in (_NL, _CR):
                pair = buf[i + 1] in (_NL, _CR) and buf[i] != buf[i + 1]
                i += 2 if pair else 1
        offset = utf16
        while i < size and (
            buf[i] != end_char or (is_pre and not (buf[i + 1] == _BACKTICK == buf[i + 2]))
        ):
            if buf[i] & 0xC0 != 0x80:
                utf16 += 1 + (buf[i] >= 0xF0)
            out.append(buf[i])
            i += 1
        if i == size:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {begin_pos}"
            )
        if offset != utf16:
            length = utf16 - offset
            if c == ord("_"):
                entities.append(Entity("italic", offset, length))
            elif c == ord("*"):
                entities.append(Entity("bold", offset, length))
            elif c == ord("["):
                if buf[i + 1] != ord("("):
                    url = _text(buf[begin_pos + 1 : i])
                else:
                    i += 2
                    url_bytes = bytearray()
                    while i < size and buf[i] != ord(")"):
                        url_bytes.append(buf[i])
                        i += 1
                    url = _text(url_bytes)
                user_id = get_link_user_id(url)
                if is_valid_user_id(user_id):
                    entities.append(Entity("text_mention", offset, length, user_id=user_id))
                elif checked := get_checked_link(url):
                    entities.append(Entity("text_link", offset, length, url=checked))
            elif is_pre:
                kind = "pre_code" if language else "pre"
                entities.append(Entity(kind, offset, length, language=language or None))
            else:
                entities.append(Entity("code", offset, length))
        if is_pre:
            i += 2
        i += 1
    return _text(out), sort_entities(entities)
