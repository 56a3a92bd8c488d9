"""Durations, moments and weekdays: read as people type them, written as they read them.

Typed: `90s`, `15m`, `2h`, `1d`, or in Bahasa Indonesia `15 menit`, `2 jam`: one reading for
the configuration (ACK_TIMEOUT and the like) and for the targets coordinators set with
/statistik; each caller decides which lengths it accepts.

Written in the reader's language from Babel's CLDR data, never abbreviated: "6h" reads as six
days in Indonesian ("h" for "hari"), and "3h" or "10h 30m" were what coordinators saw. The
catalogs hold no unit names either: CLDR has them for every language the bot may speak.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from babel.dates import format_timedelta, get_day_names
from babel.units import format_unit

from services.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator

_DURATION = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
# "h" is hours, as in the English examples: an Indonesian reads it as "hari" (days), so the
# Indonesian help shows the words, and answers spell durations out (duration_text).
_UNIT_SECONDS = {
    **dict.fromkeys(("s", "detik", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mnt", "menit", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "j", "jam", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "hari", "day", "days"), 86400),
}
_UNITS = (("duration-day", 24 * 60), ("duration-hour", 60), ("duration-minute", 1))


def parse_duration(text: str) -> timedelta | None:
    """A whole number and a unit (a space between them allowed); None if it is not one."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or match.group(2).lower() not in _UNIT_SECONDS:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def _locale(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def duration_text(value: timedelta | float | None, language: str | None) -> str:
    """`45 menit`, `3 jam`, `10 jam 30 menit`, `2 hari 4 jam` (`–` when there is none): the
    two largest units, in whole minutes; "less than a minute" below one."""
    if value is None:
        return "–"
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    left = max(0, round(seconds / 60))
    amounts = []
    for unit, minutes in _UNITS:
        amount, left = divmod(left, minutes)
        amounts.append((unit, amount))
    first = next((index for index, (_u, amount) in enumerate(amounts) if amount), 2)
    shown = [(unit, amount) for unit, amount in amounts[first : first + 2] if amount]
    locale = _locale(language)
    if not shown:
        if seconds > 0:
            _ = translator(language)
            return _("less than a minute")
        return format_unit(0, "duration-minute", locale=locale)
    return " ".join(format_unit(amount, unit, locale=locale) for unit, amount in shown)


def time_ago(moment: datetime, now: datetime, language: str | None) -> str | None:
    """`3 jam yang lalu`, `2 days ago`; None under a minute (the caller says "just now": a
    count of zero minutes is not how anyone says it)."""
    elapsed = now - moment
    if elapsed < timedelta(minutes=1):
        return None
    return format_timedelta(
        -elapsed, granularity="minute", add_direction=True, locale=_locale(language)
    )


def weekday_name(weekday: int, language: str | None, *, short: bool = False) -> str:
    """0 (Monday) to 6: `Senin`, or `Sen` when short."""
    names = get_day_names("abbreviated" if short else "wide", locale=_locale(language))
    return str(names[weekday])
