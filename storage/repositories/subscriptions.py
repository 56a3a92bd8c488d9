"""Residents who asked for awareness messages: who is subscribed, and for which kelurahan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Kelurahan, Subscription


class SubscriptionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active(self, user_id: int) -> Subscription | None:
        subscription = await self._session.get(Subscription, user_id)
        if subscription is None or not subscription.active:
            return None
        return subscription

    async def subscribe(
        self, user_id: int, kelurahan_id: int | None, now: datetime, *, keep_place: bool
    ) -> Subscription:
        """Subscribe (again); `keep_place` leaves a kelurahan chosen earlier as it was."""
        subscription = await self._session.get(Subscription, user_id)
        if subscription is None:
            subscription = Subscription(
                user_id=user_id, kelurahan_id=kelurahan_id, active=True, subscribed_at=now
            )
            self._session.add(subscription)
            await self._session.flush()
            return subscription
        if not subscription.active:
            subscription.active = True
            subscription.subscribed_at = now
            subscription.unsubscribed_at = None
        if not keep_place:
            subscription.kelurahan_id = kelurahan_id
        return subscription

    async def unsubscribe(self, user_id: int, now: datetime) -> bool:
        """True if the user was subscribed. An UPDATE first: it may run in the sender's
        transaction, which must take SQLite's write lock at once (see repositories/outbox)."""
        result = await self._session.execute(
            update(Subscription)
            .where(Subscription.user_id == user_id, Subscription.active.is_(True))
            .values(active=False, unsubscribed_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def subscriber_ids(
        self,
        *,
        kelurahan_id: int | None = None,
        kecamatan_id: int | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[int]:
        """Active subscribers above the id `after`, in ascending order, at most `limit`; with
        a place, only those who named that kelurahan (or any kelurahan of that kecamatan)."""
        query = select(Subscription.user_id).where(
            _active_in(kelurahan_id, kecamatan_id), Subscription.user_id > after
        )
        rows = await self._session.scalars(query.order_by(Subscription.user_id).limit(limit))
        return list(rows)

    async def count(
        self, *, kelurahan_id: int | None = None, kecamatan_id: int | None = None
    ) -> int:
        query = select(func.count(Subscription.user_id)).where(
            _active_in(kelurahan_id, kecamatan_id)
        )
        return int(await self._session.scalar(query) or 0)


def _active_in(kelurahan_id: int | None, kecamatan_id: int | None) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = Subscription.active.is_(True)
    if kelurahan_id is not None:
        condition = and_(condition, Subscription.kelurahan_id == kelurahan_id)
    if kecamatan_id is not None:
        of_kecamatan = select(Kelurahan.id).where(Kelurahan.kecamatan_id == kecamatan_id)
        condition = and_(condition, Subscription.kelurahan_id.in_(of_kecamatan))
    return condition
