"""Conversation states (fsm_state): the statements of storage/fsm_storage.py, and what
housekeeping does to them without aiogram (services import no aiogram)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.identity import day
from storage.models import FsmState

_table = cast(Table, FsmState.__table__)
# Built once: every update of a conversation reads its row.
SELECT_ROW = select(_table.c.state, _table.c.data).where(_table.c.key == bindparam("fsm_key"))
# A conversation's data alone (SQLAlchemyStorage).
UPDATE_DATA = (
    update(_table)
    .where(_table.c.key == bindparam("fsm_key"))
    .values(data=bindparam("data"), updated_at=bindparam("updated_at"))
)


async def forget_stale_states(session: AsyncSession, before: datetime) -> int:
    """DRAFT_TTL: conversations (a half-written report) untouched since `before` go."""
    result = await session.execute(delete(_table).where(_table.c.updated_at < day(before)))
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["SELECT_ROW", "UPDATE_DATA", "forget_stale_states"]
