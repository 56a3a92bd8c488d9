"""Who is on duty: roster coverage in local time, overnight shifts, overrides, /piket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.duty import (
    NoKelurahan,
    is_on_duty,
    officers_on_duty_in_kecamatan,
    on_duty_officers,
    toggle_duty,
)
from services.gazetteer import Gazetteer
from services.roster import parse_time
from storage.models import User, utcnow
from storage.repositories.roster import RosterRepo
from storage.repositories.staff import StaffRepo
from tests.staff.conftest import add_user, kelurahan

WIB = ZoneInfo("Asia/Jakarta")
MONDAY, TUESDAY, SUNDAY = 0, 1, 6
OFFICER, OTHER = 7001, 7002


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of Monday 3 March 2025 (day 0), Palangka Raya time."""
    return datetime(2025, 3, 3 + day, hour, minute, tzinfo=WIB)


async def shift(
    session: AsyncSession,
    kelurahan_id: int,
    weekday: int,
    start: str,
    end: str,
    officer_id: int = OFFICER,
) -> None:
    """A rostered shift; the officer is created and bound on first use."""
    if await session.get(User, officer_id) is None:
        await add_user(session, officer_id, "officer")
    await StaffRepo(session).bind(officer_id, kelurahan_id)
    start_minute, end_minute = parse_time(start), parse_time(end, end=True)
    assert start_minute is not None and end_minute is not None
    await RosterRepo(session).add(
        kelurahan_id=kelurahan_id,
        officer_id=officer_id,
        weekday=weekday,
        start_minute=start_minute,
        end_minute=end_minute,
    )


async def on_duty(session: AsyncSession, kelurahan_id: int, at: datetime) -> list[int]:
    return await on_duty_officers(session, [kelurahan_id], at, WIB)


@pytest.fixture
def menteng(gazetteer: Gazetteer) -> int:
    return kelurahan(gazetteer, "Menteng").id


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(MONDAY, 7, 59), []),
        (local(MONDAY, 8, 0), [OFFICER]),
        (local(MONDAY, 15, 59), [OFFICER]),
        (local(MONDAY, 16, 0), []),
        (local(TUESDAY, 10, 0), []),
    ],
)
async def test_day_shift_covers_its_hours_only(
    session: AsyncSession, menteng: int, at: datetime, expected: list[int]
) -> None:
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    assert await on_duty(session, menteng, at) == expected


@pytest.mark.parametrize(
    ("at_utc", "expected"),
    [
        # 01:00 UTC on Monday is 08:00 in Palangka Raya (WIB, UTC+7).
        (datetime(2025, 3, 3, 1, 0, tzinfo=UTC), [OFFICER]),
        (datetime(2025, 3, 3, 8, 59, tzinfo=UTC), [OFFICER]),
        (datetime(2025, 3, 3, 9, 0, tzinfo=UTC), []),
        # Sunday 23:30 UTC is already Monday 06:30 locally: not yet the shift.
        (datetime(2025, 3, 2, 23, 30, tzinfo=UTC), []),
    ],
)
async def test_shifts_are_in_local_time(
    session: AsyncSession, menteng: int, at_utc: datetime, expected: list[int]
) -> None:
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    assert await on_duty(session, menteng, at_utc) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(MONDAY, 21, 59), []),
        (local(MONDAY, 22, 0), [OFFICER]),
        (local(MONDAY, 23, 30), [OFFICER]),
        (local(TUESDAY, 3, 0), [OFFICER]),
        (local(TUESDAY, 6, 0), []),
        (local(TUESDAY, 22, 30), []),
        (local(2, 3, 0), []),  # Wednesday 03:00
    ],
)
async def test_overnight_shift_runs_into_the_next_day(
    session: AsyncSession, menteng: int, at: datetime, expected: list[int]
) -> None:
    await shift(session, menteng, MONDAY, "22:00", "06:00")
    assert await on_duty(session, menteng, at) == expected


async def test_sunday_night_shift_runs_into_monday(session: AsyncSession, menteng: int) -> None:
    await shift(session, menteng, SUNDAY, "20:00", "04:00")
    assert await on_duty(session, menteng, local(MONDAY, 3, 0)) == [OFFICER]
    assert await on_duty(session, menteng, local(SUNDAY, 23, 0)) == [OFFICER]
    assert await on_duty(session, menteng, local(MONDAY, 4, 0)) == []


async def test_shift_ending_at_midnight(session: AsyncSession, menteng: int) -> None:
    await shift(session, menteng, MONDAY, "16:00", "24:00")
    assert await on_duty(session, menteng, local(MONDAY, 23, 59)) == [OFFICER]
    assert await on_duty(session, menteng, local(TUESDAY, 0, 0)) == []


async def test_only_the_kelurahan_asked_for(
    session: AsyncSession, gazetteer: Gazetteer, menteng: int
) -> None:
    palangka = kelurahan(gazetteer, "Palangka").id
    kalampangan = kelurahan(gazetteer, "Kalampangan").id
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    await shift(session, palangka, MONDAY, "08:00", "16:00", officer_id=OTHER)
    at = local(MONDAY, 9)
    assert await on_duty(session, menteng, at) == [OFFICER]
    assert await on_duty_officers(session, [menteng, palangka], at, WIB) == [OFFICER, OTHER]
    assert await on_duty(session, kalampangan, at) == []
    # Menteng and Palangka are both in Jekan Raya: the kecamatan level finds both.
    jekan_raya = kelurahan(gazetteer, "Menteng").kecamatan_id
    assert await officers_on_duty_in_kecamatan(session, jekan_raya, at, WIB) == [OFFICER, OTHER]
    sabangau = kelurahan(gazetteer, "Kalampangan").kecamatan_id
    assert await officers_on_duty_in_kecamatan(session, sabangau, at, WIB) == []


async def test_a_shift_in_one_kelurahan_is_not_duty_in_another(
    session: AsyncSession, gazetteer: Gazetteer, menteng: int
) -> None:
    palangka = kelurahan(gazetteer, "Palangka").id
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    await StaffRepo(session).bind(OFFICER, palangka)
    assert await on_duty(session, palangka, local(MONDAY, 9)) == []


async def test_overrides_win_while_they_last(session: AsyncSession, menteng: int) -> None:
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    await add_user(session, OTHER, "officer")
    await StaffRepo(session).bind(OTHER, menteng)
    roster = RosterRepo(session)
    # OFFICER checked out of the shift until 12:00; OTHER checked in until 20:00.
    await roster.set_override(OFFICER, on_duty=False, until=local(MONDAY, 12))
    await roster.set_override(OTHER, on_duty=True, until=local(MONDAY, 20))
    assert await on_duty(session, menteng, local(MONDAY, 9)) == [OTHER]
    assert await on_duty(session, menteng, local(MONDAY, 11, 59)) == [OTHER]
    # The check-out expired: the roster applies again.
    assert await on_duty(session, menteng, local(MONDAY, 12)) == [OFFICER, OTHER]
    assert await on_duty(session, menteng, local(MONDAY, 19, 59)) == [OTHER]
    assert await on_duty(session, menteng, local(MONDAY, 20)) == []


async def test_unreachable_officers_are_skipped(session: AsyncSession, menteng: int) -> None:
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    await shift(session, menteng, MONDAY, "08:00", "16:00", officer_id=OTHER)
    other = await session.get(User, OTHER)
    assert other is not None
    other.unreachable_at = utcnow()
    assert await on_duty(session, menteng, local(MONDAY, 9)) == [OFFICER]


async def test_residents_are_never_on_duty(session: AsyncSession, menteng: int) -> None:
    await shift(session, menteng, MONDAY, "08:00", "16:00")
    officer = await session.get(User, OFFICER)
    assert officer is not None
    officer.role = "resident"
    assert await on_duty(session, menteng, local(MONDAY, 9)) == []


async def test_piket_during_a_shift_checks_out_until_it_ends(
    session: AsyncSession, menteng: int
) -> None:
    await shift(session, menteng, MONDAY, "22:00", "06:00")
    at = local(TUESDAY, 3, 17)
    state = await toggle_duty(session, OFFICER, at, WIB)
    assert state.on_duty is False
    assert state.until == local(TUESDAY, 6)
    assert state.until_shift_end and state.kelurahan_ids == (menteng,)
    assert await on_duty(session, menteng, at) == []
    # Checking in again during the shift: back on until it ends.
    state = await toggle_duty(session, OFFICER, at + timedelta(minutes=5), WIB)
    assert state.on_duty is True and state.until == local(TUESDAY, 6)
    assert await on_duty(session, menteng, at + timedelta(minutes=6)) == [OFFICER]


async def test_piket_without_a_shift(session: AsyncSession, menteng: int) -> None:
    await add_user(session, OFFICER, "officer")
    await StaffRepo(session).bind(OFFICER, menteng)
    at = local(MONDAY, 9, 30)
    state = await toggle_duty(session, OFFICER, at, WIB)
    assert state.on_duty is True and state.until == at + timedelta(hours=8)
    assert not state.until_shift_end
    assert await is_on_duty(session, OFFICER, at + timedelta(hours=7, minutes=59), WIB)
    assert not await is_on_duty(session, OFFICER, at + timedelta(hours=8), WIB)
    later = at + timedelta(hours=1)
    state = await toggle_duty(session, OFFICER, later, WIB)
    assert state.on_duty is False and state.until == later + timedelta(hours=12)


async def test_piket_without_kelurahan_is_refused(session: AsyncSession) -> None:
    await add_user(session, OFFICER, "officer")
    with pytest.raises(NoKelurahan):
        await toggle_duty(session, OFFICER, local(MONDAY, 9), WIB)
