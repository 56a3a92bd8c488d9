from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog, utcnow

# Core, built once: two rows in every Kirim, and none is read back in its transaction.
_INSERT = insert(cast(Table, AuditLog.__table__))


class AuditRepo:
    """Append-only log of who read or changed a case. `detail` must not hold personal data."""

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

    async def for_report(self, report_id: int) -> list[AuditLog]:
        rows = await self._session.scalars(
            select(AuditLog).where(AuditLog.report_id == report_id).order_by(AuditLog.id)
        )
        return list(rows)
