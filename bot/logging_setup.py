"""Logging for operators: `key=value` text or one JSON object per line (LOG_FORMAT).

What goes in is already free of personal data by convention (ids of rows, never what a
resident wrote); this module adds a last guard for the one secret libraries may print: the
bot token, which aiohttp and aiogram errors can carry inside a request URL.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str) -> str:
    return _TOKEN.sub("<token>", text)


def _quote(value: str) -> str:
    if value and not any(ch in value for ch in ' "=\n'):
        return value
    return json.dumps(value, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=... logger=... msg="..."`: greppable and parseable by Loki/Vector."""

    def format(self, record: logging.LogRecord) -> str:
        parts = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        line = " ".join(f"{key}={_quote(value)}" for key, value in parts.items())
        if record.exc_info:
            line += " exc=" + _quote(redact(self.formatException(record.exc_info)))
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # aiohttp's access log would record every Prometheus scrape; the webhook counts requests.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Kept for LOG_LEVEL=DEBUG only: at INFO, APScheduler wrote two lines for every tick of
    # the clock and aiogram one for every update, nine lines in ten of the log in a burst of
    # reports, each formatted and written while alerts waited. /metrics counts both.
    chatty = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    for name in _CHATTY:
        logging.getLogger(name).setLevel(chatty)


_CHATTY = ("apscheduler", "aiogram.event")


__all__ = ["JsonFormatter", "KeyValueFormatter", "configure_logging", "redact"]
