"""Conversation states (fsm_state): the statements of storage/fsm_storage.py, and what
housekeeping does to them without aiogram (services import no aiogram).

Inside an update the FSM storage only remembers what it changes (`hold`); `write_pending`
writes each changed row with one statement, just before the update commits
(bot/middlewares/database.py). A step of a conversation sets the state and saves the draft:
two upserts of one row, now one. So anything else that runs SQL on fsm_state in an update's
session must call `write_pending` first, or it would see the row as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.identity import day
from storage.models import FsmState, utcnow
from storage.on_conflict import insert_or_update

_table = cast(Table, FsmState.__table__)
# Built once: every update of a conversation reads its row.
SELECT_ROW = select(_table.c.state, _table.c.data).where(_table.c.key == bindparam("fsm_key"))
DELETE_ROW = delete(_table).where(_table.c.key == bindparam("fsm_key"))


@dataclass(frozen=True)
class StateRow:
    """A conversation's row as read (both None: there is none)."""

    state: str | None
    data: dict[str, Any] | None


# session.info: {row key: (state, data)}, the rows as this update leaves them.
_PENDING = "fsm_pending"


def hold(
    session: AsyncSession, fsm_key: str, state: str | None, data: dict[str, Any] | None
) -> None:
    """The row `fsm_key` is to be (state, data) when the update commits; written by
    `write_pending`. No state and no data: the row goes."""
    session.info.setdefault(_PENDING, {})[fsm_key] = (state, data)


async def write_pending(session: AsyncSession) -> None:
    """Write the rows held in this session, one statement each, inside its transaction. On a
    rollback there is nothing to undo: what was held goes with the session."""
    pending: dict[str, tuple[str | None, dict[str, Any] | None]] = session.info.pop(_PENDING, {})
    for fsm_key, (state, data) in pending.items():
        if state is None and not data:
            # A finished or cancelled conversation leaves no row: no trace that this chat
            # ever reported, which matters when the resident declined to be contacted.
            await session.execute(DELETE_ROW, {"fsm_key": fsm_key})
            continue
        statement = insert_or_update(session, _table, ("key",), ("state", "data", "updated_at"))
        values = {"key": fsm_key, "state": state, "data": data or None}
        await session.execute(statement, {**values, "updated_at": day(utcnow())})


async def forget_stale_states(session: AsyncSession, before: datetime) -> int:
    """DRAFT_TTL: conversations (a half-written report) untouched since `before` go."""
    await write_pending(session)  # SQL on fsm_state sees what the update changed (above)
    result = await session.execute(delete(_table).where(_table.c.updated_at < day(before)))
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "DELETE_ROW",
    "SELECT_ROW",
    "StateRow",
    "forget_stale_states",
    "hold",
    "write_pending",
]
