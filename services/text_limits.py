"""Fitting text into Telegram's limits without breaking words or HTML."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def quote(text: str) -> str:
    """User-written text, safe inside an HTML-formatted message."""
    return escape(text, quote=False)


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji may count twice)."""
    return len(text.encode("utf-16-le")) // 2


def escaped_length(text: str) -> int:
    return utf16_length(quote(text))


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 units, an ellipsis marking the cut."""
    if utf16_length(text) <= limit:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if utf16_length(text[:middle]) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def split_for_html(text: str, limit: int) -> list[str]:
    """Split plain text into chunks whose *escaped* form fits `limit` UTF-16 units, at
    paragraph, line or word boundaries where possible (never inside an HTML entity)."""
    return _split(text.strip(), limit, escaped_length)


def _split(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    chunks: list[str] = []
    rest = text
    while rest:
        if measure(rest) <= limit:
            chunks.append(rest)
            break
        cut = _cut_point(rest, limit, measure)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return chunks


def _cut_point(text: str, limit: int, measure: Callable[[str], int]) -> int:
    # The longest prefix that fits (binary search: measure is monotonic in the prefix) ...
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    end = low
    # ... then back to the nicest boundary in its last third.
    floor = max(1, end * 2 // 3)
    for separator in ("\n\n", "\n", ". ", " "):
        position = text.rfind(separator, floor, end)
        if position != -1:
            return position + len(separator)
    return end
