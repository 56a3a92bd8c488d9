"""The weekly duty roster and the /piket overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DutyOverride, RosterShift

# Built once: routing asks them for every report.
_SHIFTS_ORDER = (
    RosterShift.weekday,
    RosterShift.start_minute,
    RosterShift.officer_id,
    RosterShift.id,
)
_SHIFTS_IN = (
    select(RosterShift)
    .where(RosterShift.kelurahan_id.in_(bindparam("kelurahan_ids", expanding=True)))
    .order_by(*_SHIFTS_ORDER)
)
_SHIFTS_OF_OFFICERS_IN = _SHIFTS_IN.where(
    RosterShift.officer_id.in_(bindparam("officer_ids", expanding=True))
)
_OVERRIDES = select(DutyOverride.officer_id, DutyOverride.on_duty).where(
    DutyOverride.officer_id.in_(bindparam("officer_ids", expanding=True)),
    DutyOverride.until > bindparam("at"),
)


class RosterRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def shifts_in(
        self, kelurahan_ids: Iterable[int], officer_ids: Iterable[int] | None = None
    ) -> list[RosterShift]:
        """Shifts of these kelurahan (of these officers only, when given), in week order."""
        if officer_ids is None:
            rows = await self._session.scalars(_SHIFTS_IN, {"kelurahan_ids": list(kelurahan_ids)})
        else:
            rows = await self._session.scalars(
                _SHIFTS_OF_OFFICERS_IN,
                {"kelurahan_ids": list(kelurahan_ids), "officer_ids": list(officer_ids)},
            )
        return list(rows)

    async def shifts_of(self, officer_id: int) -> list[RosterShift]:
        rows = await self._session.scalars(
            select(RosterShift)
            .where(RosterShift.officer_id == officer_id)
            .order_by(RosterShift.weekday, RosterShift.start_minute, RosterShift.id)
        )
        return list(rows)

    async def get(self, shift_id: int) -> RosterShift | None:
        return await self._session.get(RosterShift, shift_id)

    async def add(
        self,
        *,
        kelurahan_id: int,
        officer_id: int,
        weekday: int,
        start_minute: int,
        end_minute: int,
    ) -> RosterShift:
        shift = RosterShift(
            kelurahan_id=kelurahan_id,
            officer_id=officer_id,
            weekday=weekday,
            start_minute=start_minute,
            end_minute=end_minute,
        )
        self._session.add(shift)
        await self._session.flush()
        return shift

    async def delete(self, shift_id: int) -> bool:
        result = await self._session.execute(delete(RosterShift).where(RosterShift.id == shift_id))
        return bool(getattr(result, "rowcount", 0))

    async def delete_in(self, kelurahan_ids: Iterable[int]) -> int:
        result = await self._session.execute(
            delete(RosterShift).where(RosterShift.kelurahan_id.in_(list(kelurahan_ids)))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_of(self, officer_id: int, kelurahan_id: int | None = None) -> None:
        query = delete(RosterShift).where(RosterShift.officer_id == officer_id)
        if kelurahan_id is not None:
            query = query.where(RosterShift.kelurahan_id == kelurahan_id)
        await self._session.execute(query)

    async def overrides(self, officer_ids: Iterable[int], at: datetime) -> dict[int, bool]:
        """officer id -> on_duty, for the overrides still running at `at`."""
        ids = list(officer_ids)
        if not ids:
            return {}
        rows = await self._session.execute(_OVERRIDES, {"officer_ids": ids, "at": at})
        return {officer_id: on_duty for officer_id, on_duty in rows}

    async def set_override(self, officer_id: int, *, on_duty: bool, until: datetime) -> None:
        override = await self._session.get(DutyOverride, officer_id)
        if override is None:
            self._session.add(DutyOverride(officer_id=officer_id, on_duty=on_duty, until=until))
        else:
            override.on_duty = on_duty
            override.until = until
        await self._session.flush()

    async def clear_override(self, officer_id: int) -> None:
        await self._session.execute(
            delete(DutyOverride).where(DutyOverride.officer_id == officer_id)
        )
