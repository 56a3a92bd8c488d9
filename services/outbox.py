"""Outgoing messages as rows: the service side of the outbox.

Anything that must reach Telegram later or must not be lost (alerts, relays, notices,
follow-ups, broadcasts) is enqueued here, in the same transaction as the change that causes it.
The sender (bot/sending) owns the Telegram rate budget and delivers rows by lane. It sends
a payload's "method" and "params" to its "chat_id"; other keys are the rules' own, for the
delivery hooks (e.g. who wrote a relayed message, services/relay.py), encrypted with the rest.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import IntEnum
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, utcnow
from storage.repositories import outbox as outbox_rows
from storage.repositories.outbox import OutboxRow
from storage.repositories.users import UserRepo


class Lane(IntEnum):
    """Who goes first: a lower lane's rows are sent before any row of a higher one, so no
    alert waits behind a broadcast (outbox.lane holds the number)."""

    URGENT = 0  # alerts of reports where someone is in danger now
    ALERT = 1  # other alerts, their details, evidence and edits
    RELAY = 2  # between an officer and a reporter; the resident's confirmation after Kirim
    REPLY = 3  # what the bot answers in a conversation (conversations/replies.py)
    NOTICE = 4  # status notices, follow-ups, reminders, digests, a broadcast's progress
    BROADCAST = 5  # awareness messages, with what the other lanes leave of the budget


def message(text: str, reply_markup: dict[str, Any] | None = None) -> dict[str, Any]:
    """A sendMessage payload in Bot API form (HTML parse mode)."""
    params: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    return {"method": "sendMessage", "params": params}


def call(method: str, **params: Any) -> dict[str, Any]:
    """Any other Bot API method (copyMessage, sendPhoto, editMessageText, sendLocation...)."""
    return {"method": method, "params": params}


def addressed(payload: dict[str, Any], chat_id: int) -> dict[str, Any]:
    """The payload with the chat it goes to. The chat travels inside the (encrypted) payload:
    the row's own column names a resident only by pseudonym (storage/identity.py)."""
    return {**payload, "chat_id": chat_id}


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    payload: dict[str, Any],
    kind: str,
    lane: int,
    dedupe_key: str,
    report_id: int | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Queue one message to the private chat `chat_id` (a Telegram id); returns its id, or
    None when `dedupe_key` was queued before."""
    values = await _row(session, chat_id, payload, kind, lane, dedupe_key)
    if report_id is not None:
        values["report_id"] = report_id
    if not_before is not None:
        values["not_before"] = not_before
    new_id = await outbox_rows.insert_once(session, values)
    if new_id is None:
        return None
    await outbox_rows.queued(session, lane)
    return new_id


async def enqueue_new(
    session: AsyncSession, *, chat_id: int, payload: dict[str, Any], kind: str, lane: int
) -> None:
    """Queue a message that can be no duplicate and whose id nobody needs (a conversation's
    reply): written with the others of the transaction in one statement before it commits."""
    dedupe_key = f"{kind}:{uuid.uuid4().hex}"
    outbox_rows.hold(session, await _row(session, chat_id, payload, kind, lane, dedupe_key))
    await outbox_rows.queued(session, lane)


async def _row(
    session: AsyncSession,
    chat_id: int,
    payload: dict[str, Any],
    kind: str,
    lane: int,
    dedupe_key: str,
) -> dict[str, Any]:
    """An outbox row's values: due now, about no report."""
    return {
        "dedupe_key": dedupe_key,
        "lane": lane,
        "kind": kind,
        "recipient_id": await UserRepo(session).key_of(chat_id),
        "payload": addressed(payload, chat_id),
        "report_id": None,
        "status": "pending",
        "attempts": 0,
        "not_before": utcnow(),
        "created_at": utcnow(),
    }


async def by_dedupe_key(session: AsyncSession, dedupe_key: str) -> OutboxMessage | None:
    return await outbox_rows.by_dedupe_key(session, dedupe_key)


class DeliveryHooks(Protocol):
    """What the rules want to know about deliveries; called by the sender in its transaction."""

    async def withheld(self, session: AsyncSession, rows: list[OutboxRow]) -> set[int]:
        """Of the rows just claimed, about to be sent, the ids of those that must not go out
        any more (cancelled here, in the claim's transaction)."""

    async def delivered(self, session: AsyncSession, row: OutboxRow, message_id: int) -> None:
        """The row reached Telegram (message_id of the sent message)."""

    async def unreachable(self, session: AsyncSession, row: OutboxRow) -> None:
        """Telegram answered 403: the recipient blocked the bot (the row will not be retried)."""

    async def dead(self, session: AsyncSession, row: OutboxRow, reason: str) -> None:
        """The row can never be delivered (bad request, retries exhausted)."""


class NoHooks:
    async def withheld(self, session: AsyncSession, rows: list[OutboxRow]) -> set[int]:
        return set()

    async def delivered(self, session: AsyncSession, row: OutboxRow, message_id: int) -> None:
        return None

    async def unreachable(self, session: AsyncSession, row: OutboxRow) -> None:
        return None

    async def dead(self, session: AsyncSession, row: OutboxRow, reason: str) -> None:
        return None
