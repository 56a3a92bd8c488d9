"""The gazetteer file reaches the database completely, and a restart changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.gazetteer_loader import load_gazetteer
from storage.gazetteer_seed import (
    DEFAULT_GAZETTEER_FILE,
    GazetteerFileError,
    read_gazetteer_file,
    seed_gazetteer,
)
from storage.models import Kecamatan, Kelurahan

EXPECTED = {
    "Pahandut": [
        "Pahandut",
        "Pahandut Seberang",
        "Panarung",
        "Langkai",
        "Tumbang Rungan",
        "Tanjung Pinang",
    ],
    "Jekan Raya": ["Menteng", "Palangka", "Bukit Tunggal", "Petuk Katimpun"],
    "Sabangau": [
        "Kereng Bangkirai",
        "Sabaru",
        "Kalampangan",
        "Kameloh Baru",
        "Bereng Bengkel",
        "Danau Tundai",
    ],
    "Bukit Batu": [
        "Marang",
        "Tumbang Tahai",
        "Banturung",
        "Tangkiling",
        "Sei Gohong",
        "Kanarakan",
        "Habaring Hurung",
    ],
    "Rakumpit": [
        "Petuk Bukit",
        "Pager",
        "Panjehang",
        "Gaung Baru",
        "Petuk Barunai",
        "Mungku Baru",
        "Bukit Sua",
    ],
}


async def _seed(factory: async_sessionmaker[AsyncSession], path: Path | None = None) -> None:
    async with factory() as session, session.begin():
        await seed_gazetteer(session, path)


@pytest.fixture
def writes(engine: AsyncEngine) -> Iterator[list[str]]:
    """SQL statements that change data, as the driver receives them."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


def test_file_matches_the_product_brief() -> None:
    places = read_gazetteer_file()
    assert places.city == "Kota Palangka Raya"
    assert {k.name: [kel.name for kel in k.kelurahan] for k in places.kecamatan} == EXPECTED
    assert list(EXPECTED) == [k.name for k in places.kecamatan]


async def test_seed_is_complete_and_ordered(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _seed(session_factory)
    async with session_factory() as session:
        gazetteer = await load_gazetteer(session)
        assert await session.scalar(select(func.count()).select_from(Kecamatan)) == 5
        assert await session.scalar(select(func.count()).select_from(Kelurahan)) == 30

    loaded = {k.name: [kel.name for kel in k.kelurahan] for k in gazetteer.kecamatan_list()}
    assert loaded == EXPECTED
    assert list(loaded) == list(EXPECTED)
    sabangau = gazetteer.match_kecamatan("Sabangau")[0]
    assert sabangau.aliases == ("Sebangau",)
    assert all(kel.kecamatan_id == sabangau.id for kel in gazetteer.kelurahan_of(sabangau.id))


async def test_second_seed_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession], writes: list[str]
) -> None:
    await _seed(session_factory)
    async with session_factory() as session:
        before = await load_gazetteer(session)
    assert writes, "the first seed should have inserted rows"
    writes.clear()

    await _seed(session_factory)

    assert writes == []
    async with session_factory() as session:
        after = await load_gazetteer(session)
    assert after.kecamatan_list() == before.kecamatan_list()


def _edited_file(tmp_path: Path) -> Path:
    data = json.loads(DEFAULT_GAZETTEER_FILE.read_text(encoding="utf-8"))
    pahandut, jekan_raya = data["kecamatan"][0], data["kecamatan"][1]
    pahandut["kelurahan"][0]["aliases"] = ["Pahandut Kota"]
    jekan_raya["name"] = "Jekan Raya (Kota)"
    # Menteng moves to Pahandut; a new kelurahan appears.
    pahandut["kelurahan"].append(jekan_raya["kelurahan"].pop(0))
    jekan_raya["kelurahan"].append({"slug": "baru-sekali", "name": "Baru Sekali"})
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def test_edited_file_updates_rows_in_place(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _seed(session_factory)
    async with session_factory() as session:
        before = await load_gazetteer(session)

    await _seed(session_factory, _edited_file(tmp_path))

    async with session_factory() as session:
        after = await load_gazetteer(session)
    ids_before = {kel.slug: kel.id for k in before.kecamatan_list() for kel in k.kelurahan}
    ids_after = {kel.slug: kel.id for k in after.kecamatan_list() for kel in k.kelurahan}
    assert {slug: ids_after[slug] for slug in ids_before} == ids_before
    assert "baru-sekali" in ids_after
    pahandut, jekan_raya = after.kecamatan_list()[:2]
    assert jekan_raya.name == "Jekan Raya (Kota)"
    assert [kel.slug for kel in pahandut.kelurahan][-1] == "menteng"
    assert pahandut.kelurahan[0].aliases == ("Pahandut Kota",)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["kecamatan"][1].update(slug="pahandut"), id="duplicate-slug"),
        pytest.param(lambda d: d["kecamatan"][0].update(slug="Not A Slug"), id="bad-slug"),
        pytest.param(lambda d: d["kecamatan"][0].update(kelurahan=[]), id="no-kelurahan"),
        pytest.param(lambda d: d.pop("city"), id="no-city"),
    ],
)
def test_broken_file_is_refused_with_its_name(tmp_path: Path, mutate: Any) -> None:
    data = json.loads(DEFAULT_GAZETTEER_FILE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(GazetteerFileError, match=r"broken\.json"):
        read_gazetteer_file(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GazetteerFileError, match="nowhere"):
        read_gazetteer_file(tmp_path / "nowhere.json")
