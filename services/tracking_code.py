"""Tracking codes: unguessable, and easy to read aloud over a phone.

The alphabet drops characters that sound or look alike (0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B), so a
code survives being written on paper or read out to a hotline. Eight symbols from 22 give about
36 bits; together with the /status guess limit that makes guessing someone's code hopeless.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
PREFIX = "LA"
_GROUP = 4
_LENGTH = 8


def new_code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(_LENGTH))
    return f"{PREFIX}-{symbols[:_GROUP]}-{symbols[_GROUP:]}"


def normalize_code(text: str) -> str | None:
    """Accept what people type (lowercase, spaces, missing dashes or prefix); None if invalid."""
    cleaned = re.sub(r"[\s\-_.]", "", text.upper())
    if cleaned.startswith(PREFIX) and len(cleaned) == _LENGTH + len(PREFIX):
        cleaned = cleaned[len(PREFIX) :]
    if len(cleaned) != _LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return f"{PREFIX}-{cleaned[:_GROUP]}-{cleaned[_GROUP:]}"
