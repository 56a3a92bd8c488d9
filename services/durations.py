"""Durations, moments and weekdays in words, in the reader's language (Babel's CLDR data).

Nothing is abbreviated: "6h" reads as six days in Indonesian ("h" for "hari"), and "3h" or
"10h 30m" were what coordinators saw. The catalogs hold no unit names either: CLDR has them
for every language the bot may speak.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_timedelta, get_day_names
from babel.units import format_unit

from services.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator

_UNITS = (("duration-day", 24 * 60), ("duration-hour", 60), ("duration-minute", 1))


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
