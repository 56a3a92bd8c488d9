"""`python -m bot keys rotate`: re-encrypt every encrypted column with the first DATA_KEY.

Run it while the bot runs with `DATA_KEY=new,old` (the cipher reads with both, writes with the
new one). Rows are found from the models themselves (every EncryptedText/EncryptedJSON
column of every table), read raw, re-encrypted with the first key and written back in
small batches, each its own short transaction, so the bot keeps working in between. A row
the bot changed meanwhile is skipped (the UPDATE only matches the token we read), and it was
written with the new key anyway. Values already under the first key are left alone, so the
command can be re-run after an interruption; Fernet tokens from before the current format
(storage/crypto.py) are rewritten whatever their key.

The blind index of reports (reporter_chat_index) and residents' pseudonyms (users.id and what
names them: storage/identity.py) come from the *last* key (crypto.py). They are recomputed
here, from the decrypted chat link and users.chat, which matters only when the last key of
DATA_KEY changed (see the README's key rotation steps). Staff conversation states and the
message ids kept for /hapus of staff chats are keyed by the old index and cannot be found
again without it: they are left to expire (DRAFT_TTL, 48 hours).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, Text, delete, literal, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.crypto import PSEUDONYM_FLOOR, Cipher, EncryptedJSON, EncryptedText
from storage.models import (
    AuditLog,
    Base,
    ChatMessage,
    FsmState,
    OutboxMessage,
    Report,
    Subscription,
    User,
)

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class RotationSummary:
    rotated: dict[str, int] = field(default_factory=dict)
    skipped_changed: int = 0
    reindexed: int = 0
    residents_rekeyed: int = 0

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def encrypted_columns() -> list[tuple[Table, list[Column[object]]]]:
    """Every table with encrypted columns, and those columns."""
    found: list[tuple[Table, list[Column[object]]]] = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if columns:
            found.append((table, columns))
    return found


async def rotate_keys(
    engine: AsyncEngine, cipher: Cipher, *, batch: int = BATCH
) -> RotationSummary:
    summary = RotationSummary()
    for table, columns in encrypted_columns():
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            raise RuntimeError(f"{table.name}: key rotation needs a one-column primary key")
        for column in columns:
            count = await _rotate_column(engine, cipher, table, pk[0], column, batch)
            summary.rotated[f"{table.name}.{column.name}"] = count[0]
            summary.skipped_changed += count[1]
    summary.reindexed = await _reindex_reports(engine, cipher, batch)
    summary.residents_rekeyed = await _rekey_residents(engine, cipher, batch)
    return summary


async def _rotate_column(
    engine: AsyncEngine,
    cipher: Cipher,
    table: Table,
    pk: Column[object],
    column: Column[object],
    batch: int,
) -> tuple[int, int]:
    raw = type_coerce(column, Text)
    rotated = skipped = 0
    last: object | None = None
    while True:
        query = select(pk, raw).where(column.is_not(None)).order_by(pk).limit(batch)
        if last is not None:
            query = query.where(pk > last)
        async with engine.begin() as connection:
            rows: Sequence[tuple[object, str]] = [
                (row[0], row[1]) for row in await connection.execute(query)
            ]
            if not rows:
                break
            last = rows[-1][0]
            for key, token in rows:
                if cipher.is_current(token):
                    continue
                fresh = cipher.rotate(token)
                result = await connection.execute(
                    update(table)
                    .where(pk == key, raw == token)
                    # A literal typed Text: the column's own type would encrypt it again.
                    .values({column.name: literal(fresh, Text)})
                )
                if getattr(result, "rowcount", 1) == 0:
                    skipped += 1
                else:
                    rotated += 1
    if rotated:
        log.info("keys: re-encrypted %s values of %s.%s", rotated, table.name, column.name)
    return rotated, skipped


async def _reindex_reports(engine: AsyncEngine, cipher: Cipher, batch: int) -> int:
    changed = 0
    last = 0
    while True:
        async with engine.begin() as connection:
            rows = list(
                await connection.execute(
                    select(Report.id, Report.reporter_chat_id, Report.reporter_chat_index)
                    .where(Report.reporter_chat_id.is_not(None), Report.id > last)
                    .order_by(Report.id)
                    .limit(batch)
                )
            )
            if not rows:
                break
            last = rows[-1][0]
            for report_id, chat_id, index in rows:
                wanted = cipher.blind_index(str(chat_id))
                if index != wanted:
                    await connection.execute(
                        update(Report)
                        .where(Report.id == report_id)
                        .values(reporter_chat_index=wanted)
                    )
                    changed += 1
    return changed


async def _rekey_residents(engine: AsyncEngine, cipher: Cipher, batch: int) -> int:
    """Move each resident whose pseudonym the index key no longer gives to the one it does."""
    changed = 0
    last = PSEUDONYM_FLOOR - 1
    while True:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            rows = list(
                await session.scalars(
                    select(User).where(User.id > last).order_by(User.id).limit(batch)
                )
            )
            if not rows:
                break
            last = rows[-1].id
            for user in rows:
                if user.chat is None:
                    continue
                wanted = cipher.pseudonym(int(user.chat))
                if wanted != user.id and await session.get(User, wanted) is None:
                    await _rekey(session, user, wanted)
                    changed += 1
    return changed


async def _rekey(session: AsyncSession, user: User, new: int) -> None:
    old = user.id
    copy = {c.key: getattr(user, c.key) for c in User.__table__.columns if c.key != "id"}
    session.add(User(id=new, **copy))
    await session.flush()
    for column in (Subscription.user_id, AuditLog.actor_id, OutboxMessage.recipient_id):
        await session.execute(update(column.class_).where(column == old).values({column.key: new}))
    await session.execute(
        update(ChatMessage).where(ChatMessage.chat_key == old).values(chat_key=new)
    )
    for key in list(
        await session.scalars(select(FsmState.key).where(FsmState.key.startswith(f"{old}:")))
    ):
        parts = key.split(":")
        parts[0] = str(new)
        if parts[1] == str(old):
            parts[1] = str(new)
        await session.execute(
            update(FsmState).where(FsmState.key == key).values(key=":".join(parts))
        )
    await session.execute(delete(User).where(User.id == old))
    session.expunge(user)


__all__ = ["RotationSummary", "encrypted_columns", "rotate_keys"]
