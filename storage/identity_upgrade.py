"""Rows written before residents were pseudonymous (migration 0006), converted with DATA_KEY.

A migration must not import the cipher (storage/migrations/env.py), so the conversion runs at
start-up and from `python -m bot db upgrade`, once the cipher is configured. It finds nothing
to do on a database that never held a resident's id, and is safe to run again after an
interruption (one transaction). On SQLite the file is then rewritten (VACUUM) and the WAL
emptied, so no page, free or not, still holds an old value.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.compaction import vacuum
from storage.crypto import PSEUDONYM_FLOOR
from storage.identity import chat_key, day, pseudonym
from storage.models import AuditLog, ChatMessage, FsmState, OutboxMessage, Subscription, User
from storage.repositories import outbox as outbox_rows

log = logging.getLogger(__name__)


async def upgrade_identities(engine: AsyncEngine) -> int:
    """Convert what names a resident in clear; returns how many rows changed."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        changed = await _address_pending(session)
        changed += await _residents(session)
        changed += await _chat_messages(session)
        changed += await _fsm_keys(session)
        changed += await outbox_rows.forget_done_residents(session)
    if changed:
        log.info("identities: %s rows no longer name a resident in clear", changed)
        await _compact(engine)
    return changed


async def _address_pending(session: AsyncSession) -> int:
    """Queued rows from before payloads named their chat: the chat was the recipient."""
    rows = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == "pending",
            OutboxMessage.recipient_id < PSEUDONYM_FLOOR,
            OutboxMessage.recipient_id > 0,
        )
    )
    changed = 0
    for row in rows:
        payload: dict[str, Any] = dict(row.payload or {})
        if "chat_id" not in payload:
            row.payload = {**payload, "chat_id": row.recipient_id}
            changed += 1
    await session.flush()
    return changed


async def _residents(session: AsyncSession) -> int:
    legacy = list(
        await session.scalars(
            select(User).where(User.role == "resident", User.id < PSEUDONYM_FLOOR)
        )
    )
    for old in legacy:
        alias = pseudonym(old.id)
        if await session.get(User, alias) is None:
            session.add(
                User(
                    id=alias,
                    role="resident",
                    language=old.language,
                    chat=str(old.id),
                    created_at=day(old.created_at),
                    consented_at=day(old.consented_at) if old.consented_at else None,
                    blocked_at=day(old.blocked_at) if old.blocked_at else None,
                    unreachable_at=day(old.unreachable_at) if old.unreachable_at else None,
                )
            )
            await session.flush()
        for column in (Subscription.user_id, AuditLog.actor_id, OutboxMessage.recipient_id):
            await session.execute(
                update(column.class_).where(column == old.id).values({column.key: alias})
            )
        await session.execute(delete(User).where(User.id == old.id))
        session.expunge(old)
    return len(legacy)


async def _chat_messages(session: AsyncSession) -> int:
    rows = list(
        await session.execute(
            select(ChatMessage.id, ChatMessage.chat_key, ChatMessage.message_id).where(
                ChatMessage.chat_key > 0, ChatMessage.chat_key < PSEUDONYM_FLOOR
            )
        )
    )
    for row_id, chat, message_id in rows:
        key = chat_key(chat)
        taken = await session.scalar(
            select(ChatMessage.id).where(
                ChatMessage.chat_key == key, ChatMessage.message_id == message_id
            )
        )
        if taken is not None:
            await session.execute(delete(ChatMessage).where(ChatMessage.id == row_id))
        else:
            await session.execute(
                update(ChatMessage).where(ChatMessage.id == row_id).values(chat_key=key)
            )
    return len(rows)


def _new_fsm_key(old: str) -> str | None:
    """bot:chat:user:thread:business:destiny (before 0006) -> user:chat:bot:... by pseudonym;
    None for a key that cannot be read (it is dropped: a conversation state, not a report)."""
    parts = old.split(":")
    if len(parts) != 6 or not all(p.lstrip("-").isdigit() for p in parts[:3]):
        return None
    bot_id, chat, user = (int(p) for p in parts[:3])
    if bot_id >= PSEUDONYM_FLOOR:
        return old  # already the new form: it starts with a pseudonym
    return ":".join([str(chat_key(user)), str(chat_key(chat)), str(bot_id), *parts[3:]])


async def _fsm_keys(session: AsyncSession) -> int:
    keys = list(await session.scalars(select(FsmState.key)))
    changed = 0
    for old in keys:
        new = _new_fsm_key(old)
        if new == old:
            continue
        changed += 1
        if new is None or await session.get(FsmState, new) is not None:
            await session.execute(delete(FsmState).where(FsmState.key == old))
        else:
            await session.execute(update(FsmState).where(FsmState.key == old).values(key=new))
    return changed


async def _compact(engine: AsyncEngine) -> None:
    # PostgreSQL reuses the space; a pg_dump holds only live rows.
    if engine.dialect.name == "sqlite":
        await vacuum(engine)


__all__ = ["upgrade_identities"]
