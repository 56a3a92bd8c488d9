"""JSON as the bot writes and reads it most: drafts, outbox payloads, Bot API calls.

orjson does it several times faster than the standard library, and JSON was about 5 % of the
bot's CPU per update (README, "Benchmarks"). What orjson refuses and the standard library
takes (a lone surrogate, which Telegram's JSON can carry as an escape; an integer beyond 64
bits) goes the standard library's way, so nothing that was read or written before fails now.
What json refuses to write, this refuses too, but for enums and UUIDs (written as their
values) and a float that is not a number (written as null, not NaN): none of them is in what
the bot writes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Keys as json.dumps writes them ({1: ...} -> {"1": ...}), not refused; datetimes and
# dataclasses refused, as json refuses them (a draft must not keep one as a string unnoticed).
_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII as it is; with escapes where orjson would refuse."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode("utf-8")
    except TypeError:
        # A lone surrogate, a huge integer, or what neither can write (json raises then).
        return json.dumps(value, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # A lone surrogate's escape; or not JSON at all, which json says in its own words.
        return json.loads(text)


__all__ = ["dumps", "loads"]
