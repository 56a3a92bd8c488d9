"""Durations as people type them: `90s`, `15m`, `2h`, `1d`, or in Bahasa Indonesia `15 menit`.

One reading for the configuration (ACK_TIMEOUT and the like) and for the targets coordinators
set with /statistik; each caller decides which lengths it accepts.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(\d+)\s*(s|detik|m|min|menit|h|jam|d|hari)", re.IGNORECASE)
_UNIT_SECONDS = {
    "s": 1,
    "detik": 1,
    "m": 60,
    "min": 60,
    "menit": 60,
    "h": 3600,
    "jam": 3600,
    "d": 86400,
    "hari": 86400,
}


def parse_duration(text: str) -> timedelta | None:
    """A whole number and a unit (a space between them allowed); None if it is not one."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
