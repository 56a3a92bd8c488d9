"""Build the Gazetteer value object from the database (the gazetteer file is seeded there)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.gazetteer import Gazetteer, KecamatanEntry, KelurahanEntry
from storage.repositories import gazetteer as places


async def load_gazetteer(session: AsyncSession) -> Gazetteer:
    """The places as stored, in button order, as a value object free of the database."""
    kecamatan_rows = await places.kecamatan_in_order(session)
    kelurahan_rows = await places.kelurahan_in_order(session)
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
