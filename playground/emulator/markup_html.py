"""parse_mode=HTML, a port of tdlib's parse_html (td/telegram/MessageEntity.cpp).

tdlib walks the UTF-8 bytes with a NUL terminator, so this does the same: byte
offsets in error messages and quirks such as ``&lt`` without a semicolon only
come out identical that way.
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
    get_checked_link,
    get_link_user_id,
    is_valid_user_id,
    to_integer,
    to_integer_safe,
)

_SUPPORTED_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "span", "pre", "code"}
    | {"tg-spoiler", "tg-emoji", "tg-time", "blockquote"}
)
_SIMPLE_TAGS = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_SPACE = frozenset(b" \t\r\n\0\v")
_LT, _GT, _AMP, _SLASH, _EQ, _SEMI = b"<", b">", b"&", b"/", b"=", b";"


def _is_alpha(byte: int) -> bool:
    return 65 <= byte <= 90 or 97 <= byte <= 122


def _is_digit(byte: int) -> bool:
    return 48 <= byte <= 57


def _lower(data: bytes) -> str:
    return data.lower().decode("utf-8", "surrogatepass")


def _text(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", "surrogatepass")


def decode_html_entity(buf: bytes, pos: int) -> tuple[int, int]:
    """(code point, position after the reference), or (0, pos) if it is not one we decode."""
    end = pos + 1
    code = 0
    if buf[pos + 1] == ord("#"):
        end += 1
        if buf[pos + 2] == ord("x"):
            end += 1
            while chr(buf[end]) in "0123456789abcdefABCDEF" and buf[end]:
                code = code * 16 + int(chr(buf[end]), 16)
                end += 1
        else:
            while _is_digit(buf[end]):
                code = code * 10 + buf[end] - 48
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(buf[end]):
            end += 1
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}.get(buf[pos + 1 : end])
        if named is None:
            return 0, pos
        code = ord(named)
    return code, end + 1 if buf[end] == ord(";") else end


def _utf8(code: int) -> bytes:
    # Lone surrogates are encoded like tdlib does and rejected by the final UTF-8 check.
    return chr(code).encode("utf-8", "surrogatepass")


@dataclass
class _Open:
    tag: str
    argument: str
    date: int
    utf16_offset: int
    begin_pos: int


class _HtmlParser:
    def __init__(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        if b"\0" in data:
            raise EntityParseError("Text must not contain null bytes")
        self.size = len(data)
        self.buf = data + b"\0\0\0\0"
        self.out = bytearray()
        self.entities: list[Entity] = []
        self.nested: list[_Open] = []
        self.utf16 = 0
        self.need_recheck_utf8 = False

    def at(self, index: int) -> int:
        return self.buf[index] if index < len(self.buf) else 0

    def skip_spaces(self, i: int) -> int:
        while self.at(i) != 0 and self.at(i) in _SPACE:
            i += 1
        return i

    def run(self) -> tuple[str, list[Entity]]:
        i = 0
        while i < self.size:
            c = self.buf[i]
            if c == _AMP[0]:
                code, after = decode_html_entity(self.buf, i)
                if code:
                    self.utf16 += 1 + (code > 0xFFFF)
                    self.need_recheck_utf8 |= 0xD800 <= code <= 0xDFFF
                    self.out += _utf8(code)
                    i = after
                    continue
            if c != _LT[0]:
                if c & 0xC0 != 0x80:
                    self.utf16 += 1 + (c >= 0xF0)
                self.out.append(c)
                i += 1
                continue
            i = self.end_tag(i) if self.at(i + 1) == _SLASH[0] else self.start_tag(i)
            i += 1  # past the closing '>'
        if self.nested:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.nested[-1].tag}"'
            )
        entities = [
            Entity(e.type, e.offset, e.length) if e.type == "code" else e for e in self.entities
        ]
        try:
            text = bytes(self.out).decode("utf-8")
        except UnicodeDecodeError:
            if self.need_recheck_utf8:
                raise EntityParseError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                ) from None
            text = _text(self.out)
        return text, sort_entities(entities)

    def start_tag(self, begin_pos: int) -> int:
        i = begin_pos + 1
        while self.at(i) not in _SPACE and self.at(i) != _GT[0]:
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin_pos}")
        tag = _lower(self.buf[begin_pos + 1 : i])
        if tag not in _SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin_pos}')

        argument = ""
        date = 0
        while self.at(i) != _GT[0]:
            i = self.skip_spaces(i)
            if self.at(i) == _GT[0]:
                break
            name_begin = i
            while self.at(i) not in _SPACE and self.at(i) not in b"=>/\"'":
                i += 1
            name = _text(self.buf[name_begin:i])
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin_pos}'
                )
            i = self.skip_spaces(i)
            if self.at(i) != _EQ[0]:
                if self.at(i) == 0:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin_pos}')
                if tag == "blockquote" and name == "expandable":
                    argument = "1"
                continue
            i = self.skip_spaces(i + 1)
            if self.at(i) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin_pos}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_pos}")

            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[9:]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[3:]
            elif (tag, name) == ("tg-emoji", "emoji-id") or (tag, name) == ("tg-time", "format"):
                argument = value
            elif tag == "blockquote" and name == "expandable":
                argument = "1"
            elif tag == "tg-time" and name == "unix":
                date = to_integer(value)

        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_pos}'
            )
        self.nested.append(_Open(tag, argument, date, self.utf16, len(self.out)))
        return i

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in b"'\"":
            # An unquoted name token: letters, digits, periods and hyphens, case-insensitive.
            token_begin = i
            while chr(self.at(i)).isascii() and (chr(self.at(i)).isalnum() or self.at(i) in b".-"):
                if self.at(i) == 0:
                    break
                i += 1
            value = _lower(self.buf[token_begin:i])
            if self.at(i) not in _SPACE and self.at(i) != _GT[0]:
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return value, i
        i += 1
        value_bytes = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == _AMP[0]:
                code, after = decode_html_entity(self.buf, i)
                if code:
                    value_bytes += _utf8(code)
                    i = after
                    continue
            value_bytes.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return _text(value_bytes), i

    def end_tag(self, begin_pos: int) -> int:
        if not self.nested:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin_pos}")
        i = begin_pos + 2
        while self.at(i) not in _SPACE and self.at(i) != _GT[0]:
            i += 1
        end_name = _lower(self.buf[begin_pos + 2 : i])
        while self.at(i) in _SPACE and self.at(i) != 0:
            i += 1
        if self.at(i) != _GT[0]:
            raise EntityParseError(f"Unclosed end tag at byte offset {begin_pos}")
        current = self.nested[-1]
        if end_name and end_name != current.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin_pos}, expected "</{current.tag}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > current.utf16_offset:
            self.close_entity(current, current.utf16_offset, self.utf16 - current.utf16_offset)
        self.nested.pop()
        return i

    def close_entity(self, current: _Open, offset: int, length: int) -> None:
        tag = current.tag
        last = self.entities[-1] if self.entities else None
        if tag in _SIMPLE_TAGS:
            self.entities.append(Entity(_SIMPLE_TAGS[tag], offset, length))
        elif tag == "tg-emoji":
            emoji_id = to_integer_safe(current.argument)
            if not emoji_id:
                raise EntityParseError("Invalid custom emoji identifier specified")
            self.entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=emoji_id))
        elif tag == "tg-time":
            flags = get_date_flags(current.argument)
            if current.date > 0:
                self.entities.append(date_time_entity(offset, length, current.date, flags))
        elif tag == "a":
            url = current.argument or _text(self.out[current.begin_pos :])
            user_id = get_link_user_id(url)
            if is_valid_user_id(user_id):
                self.entities.append(Entity("text_mention", offset, length, user_id=user_id))
            elif checked := get_checked_link(url):
                self.entities.append(Entity("text_link", offset, length, url=checked))
        elif tag == "pre":
            # <code class="language-x"> directly inside <pre> covering the same text: one pre_code.
            same_span = last is not None and (last.offset, last.length) == (offset, length)
            if same_span and last is not None and last.type == "code" and last.language:
                self.entities[-1] = Entity("pre_code", offset, length, language=last.language)
                return
            self.entities.append(Entity("pre", offset, length))
        elif tag == "code":
            if (
                last
                and last.type == "pre"
                and (last.offset, last.length) == (offset, length)
                and current.argument
            ):
                self.entities[-1] = Entity("pre_code", offset, length, language=current.argument)
                return
            # The language is kept until the enclosing <pre> closes and dropped afterwards.
            self.entities.append(Entity("code", offset, length, language=current.argument or None))
        elif tag == "blockquote":
            kind = "expandable_blockquote" if current.argument else "blockquote"
            self.entities.append(Entity(kind, offset, length))


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of an HTML-formatted message; raises EntityParseError."""
    return _HtmlParser(text).run()
