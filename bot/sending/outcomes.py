"""What one Telegram call came to, in the terms the sender acts on.

Telegram's own descriptions are cut to their first two parts ("Bad Request: can't parse
entities"): the rest may quote the text, and the text is what a resident wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.sending.payloads import is_edit

SENT = "sent"
RETRY_AFTER = "retry_after"
FORBIDDEN = "forbidden"
BAD_REQUEST = "bad_request"
INVALID_PAYLOAD = "invalid_payload"
INTERNAL_ERROR = "internal_error"
# Notices and broadcasts that failed transiently too often.
EXHAUSTED = "exhausted"
SERVER_ERROR = "server_error"
NETWORK_ERROR = "network_error"
# 401/404 for every call: a wrong token or API URL. Nothing is wrong with the messages, so
# they wait (an alert must not die of a configuration mistake) while the log says why.
API_ERROR = "api_error"
TRANSIENT = frozenset({SERVER_ERROR, NETWORK_ERROR, API_ERROR})
# Failures found before or without an answer from Telegram: they say nothing about it.
NOT_FROM_TELEGRAM = frozenset({INVALID_PAYLOAD, INTERNAL_ERROR})
# An edit that changes nothing did what it was asked to.
_NOT_MODIFIED = "message is not modified"


@dataclass(frozen=True)
class Outcome:
    status: str
    error_code: int | None = None
    detail: str | None = None
    retry_after: float = 0.0
    message_id: int | None = None
    # Messages that landed in a private chat, for /hapus.
    private_message_ids: tuple[int, ...] = ()

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT


def summary(description: str) -> str:
    return ": ".join(description.split(": ")[:2])[:120]


def _target_message(payload: Mapping[str, Any]) -> int | None:
    params = payload.get("params")
    value = params.get("message_id") if isinstance(params, Mapping) else None
    return value if isinstance(value, int) else None


def sent_outcome(result: Any, payload: Mapping[str, Any], chat_id: int) -> Outcome:
    """Telegram accepted the call; `result` is its answer's JSON: which message it made (a
    Message, a MessageId, a list of Messages) or, for an edit, acted on."""
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        message_id = result["message_id"]
        if is_edit(payload):
            # The message was remembered when it was sent (as SentMessagesMiddleware skips
            # edits): /hapus finds it without one more row to write.
            return Outcome(SENT, message_id=message_id)
        chat = result.get("chat")
        # A MessageId (copyMessage) names no chat: the chat it went to is the payload's.
        private = chat.get("type") == "private" if isinstance(chat, dict) else chat_id > 0
        return Outcome(SENT, message_id=message_id, private_message_ids=(message_id,) * private)
    if isinstance(result, list) and result and all(_message_id(m) is not None for m in result):
        ids = tuple(_message_id(m) or 0 for m in result)
        return Outcome(SENT, message_id=ids[0], private_message_ids=ids if chat_id > 0 else ())
    return Outcome(SENT, message_id=_target_message(payload))


def _message_id(message: Any) -> int | None:
    value = message.get("message_id") if isinstance(message, dict) else None
    return value if isinstance(value, int) else None


def _telegram_outcome(error: TelegramAPIError, payload: Mapping[str, Any]) -> Outcome:
    description = summary(error.message)
    if isinstance(error, TelegramRetryAfter):
        wait = float(error.retry_after)
        return Outcome(RETRY_AFTER, 429, f"retry after {error.retry_after}s", retry_after=wait)
    if isinstance(error, TelegramMigrateToChat):
        return Outcome(BAD_REQUEST, 400, "the group became a supergroup")
    if isinstance(error, TelegramForbiddenError):
        return Outcome(FORBIDDEN, 403, description)
    if isinstance(error, TelegramBadRequest):
        if _NOT_MODIFIED in error.message:
            return Outcome(SENT, message_id=_target_message(payload))
        return Outcome(BAD_REQUEST, 400, description)
    if isinstance(error, TelegramEntityTooLarge):
        return Outcome(BAD_REQUEST, 413, "request entity too large")
    if isinstance(error, TelegramServerError):
        return Outcome(SERVER_ERROR, None, description)
    if isinstance(error, TelegramNetworkError):
        # Only the kind of failure: some aiohttp errors quote the URL, and the URL the token.
        return Outcome(NETWORK_ERROR, None, error.message.split(":", 1)[0][:60])
    if isinstance(error, TelegramUnauthorizedError):
        return Outcome(API_ERROR, 401, description)
    if isinstance(error, TelegramNotFound):
        return Outcome(API_ERROR, 404, description)
    return Outcome(BAD_REQUEST, None, description)


def classify(error: Exception, payload: Mapping[str, Any]) -> Outcome:
    """What a failed call means for the row."""
    if isinstance(error, TelegramAPIError):
        return _telegram_outcome(error, payload)
    if isinstance(error, ClientDecodeError):
        # Not Telegram's JSON: a proxy's error page in front of it, say. Try again later.
        return Outcome(SERVER_ERROR, None, "answer was not Telegram's JSON")
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return Outcome(NETWORK_ERROR, None, type(error).__name__)
    # A payload that passed validation but that aiogram could not send: retrying will not
    # help, and a dead letter tells a coordinator.
    return Outcome(INTERNAL_ERROR, None, type(error).__name__)
