"""Which staff messages show a case's card (models.CaseCard), so the card follows the case."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseCard
from storage.on_conflict import insert_or_update


class CaseCardRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def shown(self, report_id: int, chat_id: int, message_id: int) -> None:
        """The message now shows this case's card (it may have shown another case before: a
        /kasus list turned into a card, then another)."""
        statement = insert_or_update(
            self._session, CaseCard, ("chat_id", "message_id"), ("report_id",)
        )
        await self._session.execute(
            statement, {"report_id": report_id, "chat_id": chat_id, "message_id": message_id}
        )

    async def of_report(self, report_id: int) -> list[CaseCard]:
        rows = await self._session.scalars(
            select(CaseCard).where(CaseCard.report_id == report_id).order_by(CaseCard.id)
        )
        return list(rows)

    async def forget(self, chat_id: int, message_id: int) -> None:
        """The message is gone (or shows something else now)."""
        await self._session.execute(
            delete(CaseCard).where(CaseCard.chat_id == chat_id, CaseCard.message_id == message_id)
        )
