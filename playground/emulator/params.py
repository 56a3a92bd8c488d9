"""Typed access to a method's parameters, whatever encoding the bot used.

Bot API parameters arrive as a query string, a JSON body, an urlencoded form or
multipart; in forms every value is a string and objects are JSON-encoded
inside a field, and uploads may be referenced as ``attach://<part name>``.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

from playground.emulator.errors import ApiError

_INT_RE = re.compile(r"-?\d+")
# Fields recorded as numbers in emu.calls even when the bot sent them as form strings.
_NUMERIC_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "duration",
        "width",
        "height",
        "max_connections",
    }
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str | None
    content: bytes


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def snapshot(self) -> dict[str, Any]:
        """The parameters as tests want to see them in emu.calls."""
        result: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, str) and key in _NUMERIC_FIELDS and _INT_RE.fullmatch(value):
                value = int(value)
            elif isinstance(value, str) and value[:1] in ("{", "["):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            result[key] = value
        for key, upload in self.uploads.items():
            result.setdefault(key, upload)
        return result

    def has(self, name: str) -> bool:
        return name in self.values or name in self.uploads

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
        raise ApiError.bad_request(f"invalid {name} specified")

    def required_int(self, name: str, missing: str) -> int:
        value = self.integer(name)
        if value is None:
            raise ApiError.bad_request(missing)
        return value

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def json(self, name: str, error: str | None = None) -> Any:
        """An object/array field: decoded from its JSON string in form requests."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError.bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise ApiError.bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if _INT_RE.fullmatch(text):
            return int(text)
        if text.startswith("@"):
            return text
        raise ApiError.bad_request("chat not found")

    def file(self, name: str) -> Upload | str | None:
        """An InputFile field: an upload, or a file_id / URL string."""
        if name in self.uploads:
            return self.uploads[name]
        return self.resolve_file(self.values.get(name))

    def resolve_file(self, value: Any) -> Upload | str | None:
        if value is None or value == "":
            return None
        text = str(value)
        if text.startswith("attach://"):
            upload = self.uploads.get(text.removeprefix("attach://"))
            if upload is None:
                raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
            return upload
        return text
