"""QUIET_HOURS: local hours when nothing that can wait is sent to a reporter (check-ins,
status updates, officers' messages): it waits for the end of the quiet period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    hours: tuple[int, int] | None  # (start, end) local hours, e.g. (21, 7); None: never quiet
    timezone: ZoneInfo

    def is_quiet(self, moment: datetime) -> bool:
        if self.hours is None:
            return False
        start, end = self.hours
        hour = moment.astimezone(self.timezone).hour
        if start < end:
            return start <= hour < end
        return hour >= start or hour < end  # the range wraps midnight, e.g. 21-7

    def outside(self, moment: datetime) -> datetime:
        """`moment`, or the end of the quiet period it falls in."""
        if self.hours is None or not self.is_quiet(moment):
            return moment
        start, end = self.hours
        local = moment.astimezone(self.timezone)
        day = local.date()
        if start > end and local.hour >= start:
            day += timedelta(days=1)  # evening part of a range across midnight: next morning
        return datetime.combine(day, time(end), tzinfo=self.timezone).astimezone(UTC)
