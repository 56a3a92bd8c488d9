"""Who is on duty: the weekly roster, overridden by /piket.

An officer is on duty for their kelurahan when one of their shifts there covers the moment in
local time, unless a /piket override says otherwise until its `until`. Officers Telegram
reported unreachable (they blocked the bot) are skipped: an alert to them would be lost.

/piket (toggle_duty) is kept predictable rather than clever:
- on duty now (by roster or by an earlier /piket) -> off duty until the current shift ends,
  or for 12 hours when no shift covers now;
- off duty now -> on duty until the current shift ends when one covers now (they had checked
  out of it), otherwise for 8 hours.
Either way the answer says until when, and /piket again flips it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.roster import (
    MINUTES_PER_DAY,
    RosterFileError,
    ShiftRow,
    parse_roster_csv,
    replace_roster,
)
from storage.models import RosterShift
from storage.repositories import gazetteer as places
from storage.repositories.audit import AuditRepo
from storage.repositories.roster import RosterRepo
from storage.repositories.staff import StaffRepo

MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
ON_DUTY_WITHOUT_SHIFT = timedelta(hours=8)
OFF_DUTY_WITHOUT_SHIFT = timedelta(hours=12)


class NoKelurahan(Exception):
    """The officer serves no kelurahan, so being on duty would route nothing to them."""


@dataclass(frozen=True, slots=True)
class DutyState:
    on_duty: bool
    until: datetime  # UTC
    kelurahan_ids: tuple[int, ...]
    until_shift_end: bool  # True: `until` is the end of a rostered shift


def _week_minute(local: datetime) -> int:
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute


def _remaining(shift: RosterShift, week_minute: int) -> int | None:
    """Minutes until the shift ends, if this shift covers `week_minute`; None otherwise."""
    start = shift.weekday * MINUTES_PER_DAY + shift.start_minute
    end = shift.weekday * MINUTES_PER_DAY + shift.end_minute
    if shift.end_minute <= shift.start_minute:
        end += MINUTES_PER_DAY  # crosses midnight into the next day
    # Sunday night's shift runs into Monday, which is the start of the next week.
    for moment in (week_minute, week_minute + MINUTES_PER_WEEK):
        if start <= moment < end:
            return end - moment
    return None


def covers(shift: RosterShift, at: datetime, tz: ZoneInfo) -> bool:
    return _remaining(shift, _week_minute(at.astimezone(tz))) is not None


def _shift_end(shifts: Iterable[RosterShift], at: datetime, tz: ZoneInfo) -> datetime | None:
    """When the latest of the shifts covering `at` ends (UTC), or None if none covers it."""
    local = at.astimezone(tz)
    remaining = [
        minutes
        for shift in shifts
        if (minutes := _remaining(shift, _week_minute(local))) is not None
    ]
    if not remaining:
        return None
    # Wall-clock arithmetic in the local zone, then back to UTC.
    this_minute = local.replace(second=0, microsecond=0)
    return (this_minute + timedelta(minutes=max(remaining))).astimezone(UTC)


async def on_duty_officers(
    session: AsyncSession, kelurahan_ids: list[int], at: datetime, tz: ZoneInfo
) -> list[int]:
    """Ids of the reachable officers on duty for any of these kelurahan at `at`."""
    officers = [
        user.id
        for user in await StaffRepo(session).serving(kelurahan_ids)
        if user.unreachable_at is None
    ]
    if not officers:
        return []
    roster = RosterRepo(session)
    overrides = await roster.overrides(officers, at)
    shifts = await roster.shifts_in(kelurahan_ids, officers)
    rostered = {shift.officer_id for shift in shifts if covers(shift, at, tz)}
    return [
        officer_id for officer_id in officers if overrides.get(officer_id, officer_id in rostered)
    ]


async def officers_on_duty_in_kecamatan(
    session: AsyncSession, kecamatan_id: int, at: datetime, tz: ZoneInfo
) -> list[int]:
    """On-duty officers of any kelurahan of the kecamatan (the second routing level)."""
    kelurahan_ids = await places.kelurahan_ids_in(session, kecamatan_id)
    return await on_duty_officers(session, kelurahan_ids, at, tz)


async def _rostered_shifts(session: AsyncSession, officer_id: int) -> list[RosterShift]:
    """The officer's shifts in the kelurahan they still serve."""
    areas = set(await StaffRepo(session).areas_of(officer_id))
    return [s for s in await RosterRepo(session).shifts_of(officer_id) if s.kelurahan_id in areas]


async def is_on_duty(session: AsyncSession, officer_id: int, at: datetime, tz: ZoneInfo) -> bool:
    overrides = await RosterRepo(session).overrides([officer_id], at)
    if officer_id in overrides:
        return overrides[officer_id]
    return _shift_end(await _rostered_shifts(session, officer_id), at, tz) is not None


async def toggle_duty(
    session: AsyncSession, officer_id: int, at: datetime, tz: ZoneInfo
) -> DutyState:
    """/piket: flip the officer's duty (see the module docstring for until when).

    Raises NoKelurahan when the officer serves no kelurahan.
    """
    areas = tuple(await StaffRepo(session).areas_of(officer_id))
    if not areas:
        raise NoKelurahan(officer_id)
    on_duty_now = await is_on_duty(session, officer_id, at, tz)
    shift_end = _shift_end(await _rostered_shifts(session, officer_id), at, tz)
    if shift_end is not None:
        until = shift_end
    else:
        until = at + (OFF_DUTY_WITHOUT_SHIFT if on_duty_now else ON_DUTY_WITHOUT_SHIFT)
    await RosterRepo(session).set_override(officer_id, on_duty=not on_duty_now, until=until)
    await AuditRepo(session).record(
        "duty_toggled", actor_id=officer_id, on_duty=not on_duty_now, by_shift=shift_end is not None
    )
    return DutyState(
        on_duty=not on_duty_now,
        until=until,
        kelurahan_ids=areas,
        until_shift_end=shift_end is not None,
    )


__all__ = [
    "DutyState",
    "NoKelurahan",
    "RosterFileError",
    "ShiftRow",
    "covers",
    "is_on_duty",
    "officers_on_duty_in_kecamatan",
    "on_duty_officers",
    "parse_roster_csv",
    "replace_roster",
    "toggle_duty",
]
