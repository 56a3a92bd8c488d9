"""From outbox payloads (Bot API JSON, see services/outbox.py) to Bot API calls, and the
combining of alerts that wait for the same officer into one message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import aiogram.methods
from aiogram.methods import TelegramMethod

from services.outbox import Lane
from storage.identity import is_pseudonym
from storage.repositories.outbox import OutboxRow

MAX_TEXT_LENGTH = 4096
# Telegram refuses inline keyboards with more buttons than this.
MAX_INLINE_BUTTONS = 100
# Plain characters that need no escaping in HTML or MarkdownV2.
SEPARATOR = "\n\n━━━━━━━━━━\n\n"
# Only these make a payload a plain text message that can share a bubble with others.
_COMBINABLE_PARAMS = frozenset({"chat_id", "text", "parse_mode", "reply_markup"})


class PayloadError(ValueError):
    """The payload can never become a Bot API call (unknown method, invalid params).

    Its message never quotes the params: they hold what residents wrote."""


@cache
def _method_classes() -> dict[str, type[TelegramMethod[Any]]]:
    # Telegram's method names are case-insensitive; look them up the same way.
    found: dict[str, type[TelegramMethod[Any]]] = {}
    for name in aiogram.methods.__all__:
        candidate = getattr(aiogram.methods, name)
        if isinstance(candidate, type) and issubclass(candidate, TelegramMethod):
            api_name = getattr(candidate, "__api_method__", None)
            if isinstance(api_name, str):
                found[api_name.lower()] = candidate
    return found


def method_name(payload: Mapping[str, Any]) -> str:
    name = payload.get("method")
    return name if isinstance(name, str) else ""


def is_edit(payload: Mapping[str, Any]) -> bool:
    """An edit of a message already sent (editMessageText, editMessageReplyMarkup...)."""
    return method_name(payload).lower().startswith("edit")


def target_chat(payload: Mapping[str, Any], recipient_id: int | None) -> int:
    """The chat a payload goes to: named in the payload (services/outbox.addressed), or, for a
    row queued before payloads carried it, the recipient when that is a Telegram id."""
    chat_id = payload.get("chat_id")
    if isinstance(chat_id, int):
        return chat_id
    if recipient_id is not None and not is_pseudonym(recipient_id):
        return recipient_id
    raise PayloadError("the payload names no chat")


def api_call(
    payload: Mapping[str, Any], chat_id: int, *, paid_broadcast: bool = False
) -> tuple[type[TelegramMethod[Any]], dict[str, Any]]:
    """The method a payload calls and its params as Bot API JSON; the row's chat is the
    target unless the payload names one (or edits an inline message, which has no chat).
    `paid_broadcast` sends it with allow_paid_broadcast where the method has it.

    The params are not validated here: Telegram answers a bad one with a 400, which
    dead-letters the row as a PayloadError would (validating every call into aiogram's
    models cost about 0.08 ms, README "Benchmarks")."""
    name = method_name(payload)
    params = payload.get("params")
    method_class = _method_classes().get(name.lower())
    if method_class is None:
        raise PayloadError(f"unknown method {name[:40]!r}")
    if not isinstance(params, Mapping):
        raise PayloadError(f"params of {method_class.__api_method__} are not an object")
    arguments = dict(params)
    if "chat_id" in method_class.model_fields and "inline_message_id" not in arguments:
        arguments.setdefault("chat_id", chat_id)
    if paid_broadcast and "allow_paid_broadcast" in method_class.model_fields:
        arguments["allow_paid_broadcast"] = True
    return method_class, arguments


# --- combining --------------------------------------------------------------------------------


def _utf16_length(text: str) -> int:
    # Telegram counts UTF-16 code units. The markup source is never shorter than the text
    # Telegram will count after parsing it, so a source that fits is safe.
    return len(text.encode("utf-16-le")) // 2


def _inline_rows(params: Mapping[str, Any]) -> list[Any] | None:
    markup = params.get("reply_markup")
    if markup is None:
        return []
    if not isinstance(markup, Mapping) or set(markup) != {"inline_keyboard"}:
        return None
    rows = markup["inline_keyboard"]
    return list(rows) if isinstance(rows, list) else None


def payload_of(row: OutboxRow) -> dict[str, Any]:
    """A row's payload; {} once it was forgotten (rows done with: repositories/outbox)."""
    return row.payload or {}


def combinable(row: OutboxRow) -> bool:
    """A plain alert text (sendMessage with at most an inline keyboard). Evidence copies and
    map pins are other methods and go one by one."""
    if row.lane > Lane.ALERT or row.kind != "alert":
        return False
    if method_name(payload_of(row)).lower() != "sendmessage":
        return False
    params = payload_of(row).get("params")
    if not isinstance(params, Mapping) or not set(params) <= _COMBINABLE_PARAMS:
        return False
    return isinstance(params.get("text"), str) and _inline_rows(params) is not None


@dataclass
class _Pack:
    rows: list[OutboxRow]
    length: int
    buttons: int
    parse_mode: Any


def _measure(row: OutboxRow) -> tuple[int, int, Any]:
    params = payload_of(row)["params"]
    rows = _inline_rows(params) or []
    buttons = sum(len(r) if isinstance(r, list) else 1 for r in rows)
    return _utf16_length(params["text"]), buttons, params.get("parse_mode")


def pack(rows: Sequence[OutboxRow]) -> list[list[OutboxRow]]:
    """Group combinable rows, in order, into messages within Telegram's limits; rows with
    another parse mode than their neighbours start a new group."""
    separator = _utf16_length(SEPARATOR)
    packs: list[_Pack] = []
    for row in rows:
        length, buttons, parse_mode = _measure(row)
        last = packs[-1] if packs else None
        if (
            last is not None
            and last.parse_mode == parse_mode
            and last.length + separator + length <= MAX_TEXT_LENGTH
            and last.buttons + buttons <= MAX_INLINE_BUTTONS
        ):
            last.rows.append(row)
            last.length += separator + length
            last.buttons += buttons
        else:
            packs.append(_Pack([row], length, buttons, parse_mode))
    return [p.rows for p in packs]


def combined_payload(rows: Sequence[OutboxRow]) -> dict[str, Any]:
    """One sendMessage: the texts joined by a separator line, the keyboards' rows one after
    the other (services/cases.py rebuilds such a keyboard when one case is taken)."""
    first = payload_of(rows[0])["params"]
    params: dict[str, Any] = {"text": SEPARATOR.join(payload_of(r)["params"]["text"] for r in rows)}
    if "parse_mode" in first:
        params["parse_mode"] = first["parse_mode"]
    keyboard = [
        button_row for r in rows for button_row in _inline_rows(payload_of(r)["params"]) or []
    ]
    if keyboard:
        params["reply_markup"] = {"inline_keyboard": keyboard}
    return {
        "method": "sendMessage",
        "params": params,
        "chat_id": payload_of(rows[0]).get("chat_id"),
    }
