"""Reading the moment a coordinator types for a scheduled broadcast, in local time.

Accepted, with ":" or "." between hours and minutes (Indonesians write 09.00) and an optional
"pukul"/"jam"/"at" before the time:
  28-11-2026 09:00   28/11/2026 09:00   2026-11-28 09:00
  besok 09:00 / tomorrow 09:00, lusa 09:00, hari ini 09:00 / today 09:00, or just 09:00.
Anything else, a moment already past, or one absurdly far ahead is refused with a reason, so
the coordinator is told exactly what to fix instead of a broadcast going out at a wrong time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

# Further ahead than this is a typo (2062 for 2026), not a plan.
MAX_AHEAD = timedelta(days=366)

_TIME = r"(?:(?:pukul|jam|at)\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
_DAY_MONTH_YEAR = re.compile(
    r"^(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})\s+" + _TIME + r"$"
)
_YEAR_MONTH_DAY = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\s+" + _TIME + r"$"
)
_RELATIVE = re.compile(r"^(?:(?P<word>[a-z ]+?)\s+)?" + _TIME + r"$")
_DAYS_AHEAD = {
    "hari ini": 0,
    "today": 0,
    "besok": 1,
    "tomorrow": 1,
    "lusa": 2,
}


class WhenProblem(Enum):
    FORMAT = "format"
    PAST = "past"
    TOO_FAR = "too_far"


class WhenError(ValueError):
    def __init__(self, problem: WhenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The typed local moment as a UTC datetime; raises WhenError."""
    typed = " ".join(text.casefold().split())
    local_day, local_time = _day_and_time(typed, now.astimezone(tz).date())
    moment = _aware(local_day, local_time, tz)
    if moment <= now:
        raise WhenError(WhenProblem.PAST)
    if moment - now > MAX_AHEAD:
        raise WhenError(WhenProblem.TOO_FAR)
    return moment


def _day_and_time(typed: str, today: date) -> tuple[date, time]:
    for pattern in (_DAY_MONTH_YEAR, _YEAR_MONTH_DAY):
        match = pattern.match(typed)
        if match is not None:
            day = _date(int(match["year"]), int(match["month"]), int(match["day"]))
            return day, _time(match["hour"], match["minute"])
    match = _RELATIVE.match(typed)
    if match is None:
        raise WhenError(WhenProblem.FORMAT)
    word = match["word"] or "hari ini"
    if word not in _DAYS_AHEAD:
        raise WhenError(WhenProblem.FORMAT)
    return today + timedelta(days=_DAYS_AHEAD[word]), _time(match["hour"], match["minute"])


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(WhenProblem.FORMAT) from None


def _time(hour: str, minute: str) -> time:
    try:
        return time(int(hour), int(minute))
    except ValueError:
        raise WhenError(WhenProblem.FORMAT) from None


def _aware(day: date, at: time, tz: ZoneInfo) -> datetime:
    # fold=0: in a zone with summer time, an hour that happens twice means the first one.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
