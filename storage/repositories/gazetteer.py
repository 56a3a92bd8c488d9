"""The places as stored (models.Kecamatan, models.Kelurahan), seeded from the gazetteer file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Kecamatan, Kelurahan


async def kecamatan_in_order(session: AsyncSession) -> list[Kecamatan]:
    """In button order."""
    rows = await session.scalars(select(Kecamatan).order_by(Kecamatan.position, Kecamatan.id))
    return list(rows)


async def kelurahan_in_order(session: AsyncSession) -> list[Kelurahan]:
    """In button order."""
    rows = await session.scalars(select(Kelurahan).order_by(Kelurahan.position, Kelurahan.id))
    return list(rows)


async def kelurahan_named(session: AsyncSession, name: str) -> Kelurahan | None:
    found: Kelurahan | None = await session.scalar(select(Kelurahan).where(Kelurahan.name == name))
    return found


async def kelurahan_ids_in(session: AsyncSession, kecamatan_id: int) -> list[int]:
    rows = await session.scalars(select(Kelurahan.id).where(Kelurahan.kecamatan_id == kecamatan_id))
    return list(rows)


async def kecamatan_names_in_order(session: AsyncSession) -> list[tuple[int, str]]:
    """(id, name) of every kecamatan, in button order."""
    rows = await session.execute(select(Kecamatan.id, Kecamatan.name).order_by(Kecamatan.position))
    return list(rows.tuples())
