"""Build the Gazetteer value object from the database (the gazetteer file is seeded there)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gazetteer import Gazetteer, KecamatanEntry, KelurahanEntry
from storage.models import Kecamatan, Kelurahan


async def load_gazetteer(session: AsyncSession) -> Gazetteer:
    """The places as stored, in button order, as a value object free of the database."""
    kecamatan_rows = await session.scalars(
        select(Kecamatan).order_by(Kecamatan.position, Kecamatan.id)
    )
    kelurahan_rows = await session.scalars(
        select(Kelurahan).order_by(Kelurahan.position, Kelurahan.id)
    )
    kelurahan_by_parent: dict[int, list[KelurahanEntry]] = {}
    for kel in kelurahan_rows:
        entry = KelurahanEntry(
            id=kel.id,
            kecamatan_id=kel.kecamatan_id,
            slug=kel.slug,
            name=kel.name,
            aliases=tuple(kel.aliases or ()),
        )
        kelurahan_by_parent.setdefault(kel.kecamatan_id, []).append(entry)
    return Gazetteer(
        KecamatanEntry(
            id=kec.id,
            slug=kec.slug,
            name=kec.name,
            aliases=tuple(kec.aliases or ()),
            kelurahan=tuple(kelurahan_by_parent.get(kec.id, ())),
        )
        for kec in kecamatan_rows
    )
