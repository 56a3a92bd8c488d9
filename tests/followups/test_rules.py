"""Quiet hours, digest times, settings and callback data, without a bot."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from conversations.followups.callbacks import FollowupCb
from conversations.notices import NoticeCb
from services import followups, notices
from services.digest import DigestPolicy, next_digest_at
from services.followups import FollowupPolicy

WIB = ZoneInfo("Asia/Jakarta")


def policy(quiet: tuple[int, int] | None) -> FollowupPolicy:
    return FollowupPolicy(timedelta(hours=24), timedelta(hours=72), quiet, WIB)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


@pytest.mark.parametrize(
    ("quiet", "due", "expected"),
    [
        ((21, 7), wib(2, 22), wib(3, 7)),  # evening: the next morning
        ((21, 7), wib(3, 3), wib(3, 7)),  # after midnight: this morning
        ((21, 7), wib(2, 20, 59), wib(2, 20, 59)),
        ((21, 7), wib(2, 21), wib(3, 7)),
        ((21, 7), wib(3, 7), wib(3, 7)),  # the quiet period ends at 07:00 sharp
        ((1, 5), wib(2, 2, 30), wib(2, 5)),  # a range within one day
        ((1, 5), wib(2, 23), wib(2, 23)),
        (None, wib(2, 23), wib(2, 23)),  # QUIET_HOURS empty: off
    ],
)
def test_quiet_hours_move_a_followup_to_their_end(
    quiet: tuple[int, int] | None, due: datetime, expected: datetime
) -> None:
    moved = policy(quiet).outside_quiet_hours(due.astimezone(UTC))
    assert moved == expected and moved.tzinfo is not None


def test_the_next_digest_is_the_first_digest_time_after_now() -> None:
    digests = DigestPolicy(
        time(7, 0), WIB, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=48)
    )
    assert next_digest_at(wib(2, 6, 59), digests) == wib(2, 7)
    assert next_digest_at(wib(2, 7), digests) == wib(3, 7)
    assert next_digest_at(wib(2, 23), digests) == wib(3, 7)


def test_the_callback_data_written_to_the_outbox_is_what_the_router_parses() -> None:
    data = followups.pack(followups.NOT_CONTACTED, 4242, 17)
    parsed = FollowupCb.unpack(data)
    assert (parsed.action, parsed.report_id, parsed.round) == (followups.NOT_CONTACTED, 4242, 17)
    assert FollowupCb(action=followups.HELP, report_id=9, round=2).pack() == followups.pack(
        followups.HELP, 9, 2
    )
    assert len(followups.pack(followups.CONTACTED, 2**31, 10**6).encode()) <= 64


def test_the_notice_button_written_to_the_outbox_is_what_the_router_parses() -> None:
    assert NoticeCb.unpack(notices.pack(4242)).id == 4242
    assert NoticeCb(id=9).pack() == notices.pack(9)


def test_settings_for_scheduled_work(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FOLLOWUP_EVERY", "OFFICER_REMINDER_AFTER", "DIGEST_TIME"):
        monkeypatch.delenv(name, raising=False)
    defaults = load_settings(_env_file=None)
    assert defaults.followup_every == timedelta(hours=72)
    assert defaults.officer_reminder_after == timedelta(hours=48)
    assert defaults.digest_time == time(7, 0)
    monkeypatch.setenv("FOLLOWUP_EVERY", "2d")
    monkeypatch.setenv("DIGEST_TIME", "6:30")
    chosen = load_settings(_env_file=None)
    assert chosen.followup_every == timedelta(days=2) and chosen.digest_time == time(6, 30)
    monkeypatch.setenv("DIGEST_TIME", "25:00")
    monkeypatch.setenv("OFFICER_REMINDER_AFTER", "soon")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert "DIGEST_TIME" in str(error.value) and "OFFICER_REMINDER_AFTER" in str(error.value)
