"""Logging for operators: `key=value` text or one JSON object per line (LOG_FORMAT).

What goes in is already free of personal data by convention (ids of rows, a resident by the
tag of storage/identity.log_name, never what a resident wrote); this module adds last guards
for what libraries may print:
- the bot token, which aiohttp and aiogram errors can carry inside a request URL;
- exception messages, which may quote a chat id, what someone wrote, or a statement's
  parameters: an exception given as an argument is logged by its type, and a traceback shows
  frames and types only.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TextIO

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str) -> str:
    return _TOKEN.sub("<token>", text)


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def where_raised(error: BaseException) -> str:
    """file:line of the innermost frame: enough to find a bug, nothing of the data."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    if not frames:
        return "?"
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"


def safe_traceback(exc_info: _ExcInfo) -> str:
    """A traceback with its frames and the exceptions' types, without their messages."""
    parts: list[str] = []
    error: BaseException | None = exc_info[1]
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frames = traceback.format_list(traceback.extract_tb(error.__traceback__))
        parts.insert(0, "".join(frames) + type(error).__qualname__)
        error = error.__cause__ or error.__context__
    return "\n(while handling the above)\n".join(parts)


class _ExceptionsByType(logging.Filter):
    """`log.info("... %s", error)`: the type, not str(error) (libraries log so too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, BaseException) for arg in record.args
        ):
            record.args = tuple(
                type(arg).__name__ if isinstance(arg, BaseException) else arg for arg in record.args
            )
        return True


def _exception_text(record: logging.LogRecord) -> str | None:
    info = record.exc_info
    if not info or info[0] is None or info[1] is None:
        return None
    return redact(safe_traceback((info[0], info[1], info[2])))


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
        exception = _exception_text(record)
        if exception is not None:
            line += " exc=" + _quote(exception)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        exception = _exception_text(record)
        if exception is not None:
            entry["exc"] = exception
        return json.dumps(entry, ensure_ascii=False)


def log_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """The handler the bot logs through, with both guards (tests read its output too)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else KeyValueFormatter())
    handler.addFilter(_ExceptionsByType())
    return handler


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """The bot's logging, to stderr (or `stream`: the tests read what an operator would)."""
    handler = log_handler(log_format, stream)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # aiohttp's access log would record every Prometheus scrape; the webhook counts requests.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Kept for LOG_LEVEL=DEBUG only: at INFO, APScheduler wrote two lines for every tick of
    # the clock and aiogram one for every update, nine lines in ten of the log in a burst of
    # reports, each formatted and written while alerts waited. /metrics counts both. Alembic
    # names each of its plugins at INFO before every migration run (its migrations stay).
    chatty = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    for name in _CHATTY:
        logging.getLogger(name).setLevel(chatty)


_CHATTY = ("apscheduler", "aiogram.event", "alembic.runtime.plugins")


__all__ = [
    "JsonFormatter",
    "KeyValueFormatter",
    "configure_logging",
    "log_handler",
    "redact",
    "safe_traceback",
    "where_raised",
]
