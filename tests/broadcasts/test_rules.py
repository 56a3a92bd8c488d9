"""The parts of broadcasting that need no bot: reading typed times, and the cancel button the
progress job builds as a plain string."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.broadcasts.callbacks import BroadcastCb, CancelBroadcastCb
from services import broadcasts
from services.broadcast_time import WhenError, WhenProblem, parse_when

WIB = ZoneInfo("Asia/Jakarta")
# Friday 27 November 2026, 10:00 WIB.
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("28-11-2026 09:00", datetime(2026, 11, 28, 9, 0)),
        ("28/11/2026 9.00", datetime(2026, 11, 28, 9, 0)),
        ("2026-11-28 09:00", datetime(2026, 11, 28, 9, 0)),
        ("besok 09:00", datetime(2026, 11, 28, 9, 0)),
        ("Besok  pukul 09.00", datetime(2026, 11, 28, 9, 0)),
        ("tomorrow at 21:30", datetime(2026, 11, 28, 21, 30)),
        ("lusa 07:15", datetime(2026, 11, 29, 7, 15)),
        ("hari ini 10:01", datetime(2026, 11, 27, 10, 1)),
        ("23:59", datetime(2026, 11, 27, 23, 59)),
        ("01-01-2027 00:00", datetime(2027, 1, 1, 0, 0)),
    ],
)
def test_typed_local_times(typed: str, local: datetime) -> None:
    assert parse_when(typed, NOW, WIB) == local.replace(tzinfo=WIB).astimezone(UTC)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", WhenProblem.FORMAT),
        ("besok", WhenProblem.FORMAT),
        ("kemarin 09:00", WhenProblem.FORMAT),
        ("31-02-2027 09:00", WhenProblem.FORMAT),
        ("28-11-2026 24:00", WhenProblem.FORMAT),
        ("28-11-26 09:00", WhenProblem.FORMAT),
        ("09:00", WhenProblem.PAST),
        ("hari ini 10:00", WhenProblem.PAST),
        ("27-11-2025 09:00", WhenProblem.PAST),
        ("29-11-2027 09:00", WhenProblem.TOO_FAR),
    ],
)
def test_what_is_refused(typed: str, problem: WhenProblem) -> None:
    with pytest.raises(WhenError) as refused:
        parse_when(typed, NOW, WIB)
    assert refused.value.problem == problem


def test_the_progress_jobs_cancel_button_is_the_one_the_chat_handles() -> None:
    assert broadcasts.CANCEL_CALLBACK.format(id=12345) == CancelBroadcastCb(id=12345).pack()
    assert CancelBroadcastCb.unpack("bx:12345").id == 12345


def test_the_longest_wizard_button_fits_telegrams_64_bytes() -> None:
    longest = BroadcastCb(action="pick", id=2**31 - 1, target="kel", place=2**31 - 1)
    assert len(longest.pack().encode()) <= 64
