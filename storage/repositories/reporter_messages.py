"""What discreet notices show once the reporter opens them (models.ReporterMessage)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReporterMessage


class ReporterMessageRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, report_id: int, content: dict[str, Any]) -> ReporterMessage:
        message = ReporterMessage(report_id=report_id, content=content)
        self._session.add(message)
        await self._session.flush()
        return message

    async def get(self, message_id: int) -> ReporterMessage | None:
        return await self._session.get(ReporterMessage, message_id)

    async def remove(self, message: ReporterMessage) -> None:
        await self._session.delete(message)
        await self._session.flush()

    async def forget_reports(self, report_ids: Collection[int]) -> None:
        """/hapusdata and RETENTION: what they were told is gone with the link."""
        if report_ids:
            await self._session.execute(
                delete(ReporterMessage).where(ReporterMessage.report_id.in_(list(report_ids)))
            )
