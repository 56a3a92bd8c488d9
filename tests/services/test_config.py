from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import create_sender_limits
from bot.config import ConfigError, load_settings, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("45", 45), (" 5M ", 300)],
        # The words coordinators type for /statistik targets read the same here.
        *[("15 menit", 900), ("2 jam", 7200), ("1 hari", 86400), ("15 minutes", 900)],
    ],
)
def test_durations(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize("text", ["", "soon", "15 fortnights", "0s", "-5m", "1.5h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_bad_value_is_reported_with_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACK_TIMEOUT", "soon")
    monkeypatch.setenv("QUIET_HOURS", "25-7")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    message = str(error.value)
    assert "ACK_TIMEOUT" in message and "QUIET_HOURS" in message


def test_contract_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACK_TIMEOUT", "QUIET_HOURS", "COORDINATOR_IDS", "TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.ack_timeout == timedelta(minutes=15)
    assert settings.urgent_ack_timeout == timedelta(minutes=5)
    assert settings.followup_after == timedelta(hours=24)
    assert settings.quiet_hours == (21, 7)
    assert str(settings.timezone) == "Asia/Jakarta"
    assert settings.coordinator_ids == []
    assert settings.telegram_api_url == "https://api.telegram.org"


def test_lists_and_empty_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COORDINATOR_IDS", "11, 22,33")
    monkeypatch.setenv("QUIET_HOURS", "")
    settings = load_settings(_env_file=None)
    assert settings.coordinator_ids == [11, 22, 33]
    assert settings.quiet_hours is None


def test_missing_token_names_the_variable() -> None:
    settings = load_settings(_env_file=None, bot_token=None)
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        settings.require_token()


def test_paid_alerts_are_off_unless_the_city_turns_them_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALERT_PAID_BROADCAST", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.alert_paid_broadcast is False
    assert create_sender_limits(settings).paid_alerts is False
    monkeypatch.setenv("ALERT_PAID_BROADCAST", "true")
    settings = load_settings(_env_file=None)
    assert create_sender_limits(settings).paid_alerts is True
    monkeypatch.setenv("ALERT_PAID_BROADCAST", "maybe")
    with pytest.raises(ConfigError, match="ALERT_PAID_BROADCAST"):
        load_settings(_env_file=None)


def test_time_zone_and_digest_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Asia/Makassar")
    monkeypatch.setenv("DIGEST_TIME", " 6:05 ")
    settings = load_settings(_env_file=None)
    assert settings.timezone == ZoneInfo("Asia/Makassar")
    assert settings.digest_time == time(6, 5)
    monkeypatch.setenv("TIMEZONE", "Asia/Palangka")
    monkeypatch.setenv("DIGEST_TIME", "07:60")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert "TIMEZONE" in str(error.value) and "DIGEST_TIME" in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"), [("15 menit", 900), ("2 jam", 7200), ("1 hari", 86400)]
)
def test_durations_in_indonesian(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)
