"""The gazetteer file into the database at every start-up, and the database into a Gazetteer.

The file is the source of truth for names, spellings and order; the database rows exist so
reports can point at a kelurahan by id. Rows are matched by slug, so fixing a name or adding an
alias in the file updates the row in place and every report keeps its kelurahan. Rows that
left the file are kept (reports still point at them) and only logged.

`load_gazetteer` returns the services-layer value object: the one import from `services/` in
this package, of a module that itself imports nothing of ours.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Kecamatan, Kelurahan

log = logging.getLogger(__name__)

DEFAULT_GAZETTEER_FILE = Path(__file__).resolve().parent / "seed" / "gazetteer.json"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Row = TypeVar("Row", Kecamatan, Kelurahan)


class GazetteerFileError(ValueError):
    """The gazetteer file is missing or malformed; the message names the file and the fault."""


class _Place(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: Slug
    name: Name
    aliases: list[Name] = Field(default_factory=list)


class _KecamatanFile(_Place):
    kelurahan: list[_Place] = Field(min_length=1)


class GazetteerFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    city: Name
    source: str | None = None
    kecamatan: list[_KecamatanFile] = Field(min_length=1)


def read_gazetteer_file(path: Path | None = None) -> GazetteerFile:
    """Parse and check the file (unique slugs), so a broken swap stops start-up with a reason."""
    path = path or DEFAULT_GAZETTEER_FILE
    try:
        parsed = GazetteerFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise GazetteerFileError(f"gazetteer file {path}: {exc}") from exc
    for kind, slugs in (
        ("kecamatan", [k.slug for k in parsed.kecamatan]),
        ("kelurahan", [kel.slug for k in parsed.kecamatan for kel in k.kelurahan]),
    ):
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise GazetteerFileError(f"gazetteer file {path}: duplicate {kind} slugs {duplicates}")
    return parsed


async def seed_gazetteer(session: AsyncSession, path: Path | None = None) -> None:
    """Upsert the file's places by slug. Flushes; the caller's transaction commits."""
    places = read_gazetteer_file(path)
    kecamatan_rows = {row.slug: row for row in await session.scalars(select(Kecamatan))}
    kelurahan_rows = {row.slug: row for row in await session.scalars(select(Kelurahan))}

    by_slug: dict[str, Kecamatan] = {}
    for position, item in enumerate(places.kecamatan):
        by_slug[item.slug] = _upsert(
            session, Kecamatan, kecamatan_rows.get(item.slug), _fields(item, position)
        )
    # New kecamatan need their ids before their kelurahan can point at them.
    await session.flush()

    for item in places.kecamatan:
        kecamatan_id = by_slug[item.slug].id
        for position, place in enumerate(item.kelurahan):
            values = _fields(place, position) | {"kecamatan_id": kecamatan_id}
            _upsert(session, Kelurahan, kelurahan_rows.get(place.slug), values)
    await session.flush()
    _log_stale("kecamatan", kecamatan_rows, {k.slug for k in places.kecamatan})
    _log_stale(
        "kelurahan",
        kelurahan_rows,
        {kel.slug for k in places.kecamatan for kel in k.kelurahan},
    )


def _fields(place: _Place, position: int) -> dict[str, Any]:
    return {
        "slug": place.slug,
        "name": place.name,
        "aliases": list(place.aliases),
        "position": position,
    }


def _upsert(
    session: AsyncSession, model: type[Row], row: Row | None, values: dict[str, Any]
) -> Row:
    if row is None:
        row = model(**values)
        session.add(row)
        return row
    # Assign only what differs, so a second start-up with the same file writes nothing.
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return row


def _log_stale(kind: str, rows: dict[str, Any], in_file: set[str]) -> None:
    stale = sorted(set(rows) - in_file)
    if stale:
        log.warning("%s not in the gazetteer file kept for old reports: %s", kind, stale)


__all__ = [
    "DEFAULT_GAZETTEER_FILE",
    "GazetteerFile",
    "GazetteerFileError",
    "read_gazetteer_file",
    "seed_gazetteer",
]
