"""Configuration from the environment (and `.env`), validated once at start-up.

Every variable of the README's configuration table lives here. A bad value stops the
bot with a message that names the variable, because a mistyped duration that silently became
zero would mean alerts escalating at once or never.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.durations import parse_duration as read_duration

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/lapor-aman.sqlite3"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """Raised with a human-readable message naming the offending variable."""


def parse_duration(value: Any) -> timedelta:
    """`90s`, `15m`, `2h`, `1d` (services/durations.py) or a bare number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        duration: timedelta | None = timedelta(seconds=value)
    else:
        text = str(value).strip()
        duration = timedelta(seconds=int(text)) if text.isdigit() else read_duration(text)
    if duration is None:
        raise ValueError(f"{value!r} is not a duration like 90s, 15m, 2h or 1d")
    if duration <= timedelta(0):
        raise ValueError("a duration must be longer than zero")
    return duration


def parse_optional_duration(value: Any) -> timedelta | None:
    """Like parse_duration, but empty means "not set"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_duration(value)


def parse_quiet_hours(value: Any) -> tuple[int, int] | None:
    """`21-7` into (21, 7); empty turns quiet hours off."""
    if value is None or isinstance(value, tuple):
        return value
    text = str(value).strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2})\s*-\s*(\d{1,2})", text)
    if match is None:
        raise ValueError(f"{value!r} is not an hour range like 21-7")
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
        raise ValueError("hours must be 0-23 and the range must not be empty")
    return start, end


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (IPv6 in brackets: `[::1]:9090`) into (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not host:port, e.g. 127.0.0.1:8081")
    return host.strip("[]") or "0.0.0.0", int(port)


def two_digit_hour(value: Any) -> Any:
    """`7:00` as `07:00`: pydantic reads the time of day (and checks its range), but only with
    two-digit hours."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and len(text) == 4 and text[1] == ":":
        return "0" + text
    return text


def parse_id_list(value: Any) -> list[int]:
    if isinstance(value, list):
        return [int(v) for v in value]
    text = str(value or "").strip()
    if not text:
        return []
    try:
        return [int(part) for part in re.split(r"[,\s]+", text) if part]
    except ValueError as exc:
        raise ValueError("must be Telegram user ids separated by commas") from exc


def parse_str_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
IdList = Annotated[list[int], NoDecode, BeforeValidator(parse_id_list)]
StrList = Annotated[list[str], NoDecode, BeforeValidator(parse_str_list)]
OptionalDuration = Annotated[timedelta | None, BeforeValidator(parse_optional_duration)]
QuietHours = Annotated[tuple[int, int] | None, NoDecode, BeforeValidator(parse_quiet_hours)]
ClockTime = Annotated[time, BeforeValidator(two_digit_hour)]

DEFAULT_EMERGENCY_NUMBERS = [
    "112 (Panggilan Darurat / Emergency)",
    "110 (Polisi / Police)",
    "129 (SAPA 129 KemenPPPA)",
    "WhatsApp SAPA 129: 08111-129-129",
]


class Settings(BaseSettings):
    """The configuration (README, "Configuration"), one field per environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    coordinator_ids: IdList = Field(default_factory=list)
    # Comma-separated keys (`python -m bot genkey`): the first encrypts, all decrypt (rotation).
    data_key: SecretStr | None = None
    ack_timeout: Duration = timedelta(minutes=15)
    urgent_ack_timeout: Duration = timedelta(minutes=5)
    followup_after: Duration = timedelta(hours=24)
    # Later follow-ups with the reporter, while the case is open.
    followup_every: Duration = timedelta(hours=72)
    # An acknowledged case with no status change or note for this long: remind its owner, then
    # (the same time again) the coordinators.
    officer_reminder_after: Duration = timedelta(hours=48)
    # Local time (TIMEZONE) of the coordinators' daily digest.
    digest_time: ClockTime = time(7, 0)
    quiet_hours: QuietHours = (21, 7)
    timezone: ZoneInfo = ZoneInfo("Asia/Jakarta")
    broadcast_rate: float = 25.0
    # Alerts that find Telegram's ~30 messages a second used up go out at once as paid
    # broadcasts (0.1 Telegram Stars each, from the bot's balance) instead of waiting. Off
    # unless the city has chosen to pay: see the README, "Alerts in a burst".
    alert_paid_broadcast: bool = False
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8081"
    # /healthz and /metrics in polling mode (webhook mode serves them on WEBHOOK_LISTEN);
    # empty turns the listener off.
    metrics_listen: str = "127.0.0.1:9090"
    # text (key=value) or json; neither ever carries what residents wrote.
    log_format: str = "text"
    # Closed cases are anonymised this long after closing; empty keeps them.
    retention: OptionalDuration = None
    # A report left half-written (and any other conversation) is forgotten after this long.
    draft_ttl: Duration = timedelta(days=7)
    emergency_numbers: StrList = Field(default_factory=lambda: list(DEFAULT_EMERGENCY_NUMBERS))
    gazetteer_file: Path | None = None
    # demo/test only: allows running without DATA_KEY by generating a throwaway key.
    demo_mode: bool = False
    log_level: str = "INFO"
    # How many wrong tracking codes a user may try per window before /status pauses.
    status_lookup_limit: int = 5
    status_lookup_window: Duration = timedelta(minutes=15)
    # How often the scheduler wakes the job worker (escalations, follow-ups) and the sender.
    job_tick: Duration = timedelta(seconds=1)
    # How long an update claimed from the inbox is an instance's before another may take it
    # over (the instance died); a live handler renews it every third of that.
    inbox_lease: Duration = timedelta(seconds=30)
    # How long a message being sent is the sending instance's; if it dies with the answer
    # unknown, the message goes again after this (one more copy at most).
    outbox_lease: Duration = timedelta(seconds=30)

    @field_validator("broadcast_rate")
    @classmethod
    def _under_telegram_limit(cls, value: float) -> float:
        if not 0 < value <= 30:
            raise ValueError("must be between 0 and 30 messages per second (Telegram's limit)")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value.strip().lower() not in ("text", "json"):
            raise ValueError("must be text or json")
        return value.strip().lower()

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value.strip():
            parse_listen(value)
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_characters(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and -.
        secret = value.get_secret_value() if value is not None else ""
        if secret and not _SECRET.fullmatch(secret):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def require_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "BOT_TOKEN is not set. Put the token from @BotFather into .env "
                "(copy .env.example) or the environment, e.g. BOT_TOKEN=123456:ABC... lapor-aman "
                "run (or make run in a checkout)"
            )
        return self.bot_token.get_secret_value().strip()

    def require_webhook_secret(self) -> str:
        """Webhook mode without a secret would let anyone on the internet post updates."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret:
            raise ConfigError(
                "WEBHOOK_SECRET is required when WEBHOOK_URL is set: 1-256 characters of "
                "A-Z, a-z, 0-9, _ and - (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        return secret

    def data_keys(self) -> list[str]:
        if self.data_key is None or not self.data_key.get_secret_value().strip():
            return []
        return parse_str_list(self.data_key.get_secret_value())


def load_settings(**overrides: Any) -> Settings:
    """Load settings; turn pydantic's error into one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
            lines.append(f"{name}: {error['msg']}")
        raise ConfigError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
