from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog, utcnow
from storage.repositories.users import known_key

# Core, built once: two rows in every Kirim, and none is read back in its transaction.
_INSERT = insert(cast(Table, AuditLog.__table__))


class AuditRepo:
    """Append-only log of who read or changed a case. `detail` must not hold personal data;
    `actor_id` is a staff member's Telegram id, a resident's pseudonym, or None."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        action: str,
        *,
        actor_id: int | None,
        report_id: int | None = None,
        **detail: Any,
    ) -> None:
        if actor_id is not None:
            # Handlers name the person of the update by Telegram id; a resident is kept under
            # their pseudonym (storage/identity.py), the audit log included.
            actor_id = known_key(self._session, actor_id) or actor_id
        await self._session.execute(
            _INSERT,
            {
                "at": utcnow(),
                "action": action,
                "actor_id": actor_id,
                "report_id": report_id,
                "detail": json.dumps(detail, sort_keys=True) if detail else None,
            },
        )

    async def forget_actor(self, actor_id: int) -> None:
        """/hapusdata: the entries stay (what happened, when), without whom."""
        await self._session.execute(
            update(AuditLog).where(AuditLog.actor_id == actor_id).values(actor_id=None)
        )

    async def for_report(self, report_id: int) -> list[AuditLog]:
        rows = await self._session.scalars(
            select(AuditLog).where(AuditLog.report_id == report_id).order_by(AuditLog.id)
        )
        return list(rows)
