"""Finding a place from what a resident typed: forgiving, but never a wild guess."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gazetteer import Gazetteer, KecamatanEntry, KelurahanEntry
from services.gazetteer_loader import load_gazetteer
from storage.gazetteer_seed import read_gazetteer_file, seed_gazetteer


def _from_file() -> Gazetteer:
    """The shipped file with made-up ids: matching needs no database."""
    data = []
    next_id = 100
    for kecamatan in read_gazetteer_file().kecamatan:
        item = kecamatan.model_dump()
        item["id"] = next_id
        for kelurahan in item["kelurahan"]:
            next_id += 1
            kelurahan["id"] = next_id
        next_id += 100
        data.append(item)
    return Gazetteer.from_data(data)


GAZETTEER = _from_file()
KECAMATAN = GAZETTEER.kecamatan_list()
KELURAHAN = [kel for k in KECAMATAN for kel in k.kelurahan]


def _kecamatan(name: str) -> KecamatanEntry:
    return next(k for k in KECAMATAN if k.name == name)


def _names(entries: list[KecamatanEntry] | list[KelurahanEntry]) -> list[str]:
    return [entry.name for entry in entries]


@pytest.mark.parametrize("name", [k.name for k in KECAMATAN])
def test_every_kecamatan_by_its_name(name: str) -> None:
    assert _names(GAZETTEER.match_kecamatan(name)) == [name]


@pytest.mark.parametrize("name", [kel.name for kel in KELURAHAN])
def test_every_kelurahan_by_its_name(name: str) -> None:
    assert _names(GAZETTEER.match_kelurahan(name)) == [name]


@pytest.mark.parametrize(
    ("typed", "kecamatan"),
    [("Sebangau", "Sabangau"), ("sebangau", "Sabangau"), ("Kec. Sebangau", "Sabangau")],
)
def test_kecamatan_aliases(typed: str, kecamatan: str) -> None:
    assert _names(GAZETTEER.match_kecamatan(typed)) == [kecamatan]


@pytest.mark.parametrize(
    ("typed", "kelurahan"),
    [
        ("Petuk Berunai", "Petuk Barunai"),
        ("Penjehang", "Panjehang"),
        ("Kereng Bengkirai", "Kereng Bangkirai"),
        ("Kelampangan", "Kalampangan"),
        ("Sungai Gohong", "Sei Gohong"),
        ("Pahandut Sebrang", "Pahandut Seberang"),
    ],
)
def test_kelurahan_aliases(typed: str, kelurahan: str) -> None:
    assert _names(GAZETTEER.match_kelurahan(typed)) == [kelurahan]


@pytest.mark.parametrize(
    ("typed", "kelurahan"),
    [
        ("pahandut seberang", "Pahandut Seberang"),
        ("PETUK KATIMPUN", "Petuk Katimpun"),
        ("  bukit    tunggal  ", "Bukit Tunggal"),
        ("Bukit-Tunggal.", "Bukit Tunggal"),
        ("bukittunggal", "Bukit Tunggal"),
        ("Kel. Menteng", "Menteng"),
        ("Kelurahan Tangkiling", "Tangkiling"),
        ("Tbg. Tahai", "Tumbang Tahai"),
        ("Tj Pinang", "Tanjung Pinang"),
    ],
)
def test_case_spacing_punctuation_and_abbreviations(typed: str, kelurahan: str) -> None:
    assert _names(GAZETTEER.match_kelurahan(typed)) == [kelurahan]


@pytest.mark.parametrize(
    ("typed", "kelurahan"),
    [
        ("Pahandt", "Pahandut"),
        ("Mentng", "Menteng"),
        ("Tangkilin", "Tangkiling"),
        ("Kalampagan", "Kalampangan"),
        ("Habaring Hurnug", "Habaring Hurung"),
        ("Pagar", "Pager"),
    ],
)
def test_small_typos_find_the_place_first(typed: str, kelurahan: str) -> None:
    assert _names(GAZETTEER.match_kelurahan(typed))[0] == kelurahan


def test_typo_in_kecamatan() -> None:
    assert _names(GAZETTEER.match_kecamatan("Pahandt")) == ["Pahandut"]
    assert _names(GAZETTEER.match_kecamatan("Jekan Rya")) == ["Jekan Raya"]


def test_exact_name_wins_over_longer_names_it_starts() -> None:
    assert _names(GAZETTEER.match_kelurahan("Pahandut")) == ["Pahandut"]


def test_start_of_a_name_offers_the_candidates() -> None:
    assert set(_names(GAZETTEER.match_kelurahan("Petuk"))) == {
        "Petuk Katimpun",
        "Petuk Bukit",
        "Petuk Barunai",
    }
    assert set(_names(GAZETTEER.match_kelurahan("tumbang"))) == {
        "Tumbang Rungan",
        "Tumbang Tahai",
    }


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "?!", "Jakarta", "qwerty", "xyz", "Kelurahan", "Palangka Raya", "12345", "pa"],
)
def test_garbage_matches_nothing(typed: str) -> None:
    assert GAZETTEER.match_kelurahan(typed) == []
    assert GAZETTEER.match_kecamatan(typed) == []


def test_kelurahan_limited_to_a_kecamatan() -> None:
    rakumpit, jekan_raya = _kecamatan("Rakumpit"), _kecamatan("Jekan Raya")
    assert _names(GAZETTEER.match_kelurahan("Penjehang", rakumpit.id)) == ["Panjehang"]
    assert GAZETTEER.match_kelurahan("Penjehang", jekan_raya.id) == []
    assert _names(GAZETTEER.match_kelurahan("Petuk", jekan_raya.id)) == ["Petuk Katimpun"]
    assert GAZETTEER.match_kelurahan("Menteng", 999_999) == []


def test_lookups_by_id() -> None:
    sabangau = _kecamatan("Sabangau")
    assert GAZETTEER.kecamatan(sabangau.id) == sabangau
    assert _names(GAZETTEER.kelurahan_of(sabangau.id))[0] == "Kereng Bangkirai"
    first = sabangau.kelurahan[0]
    assert GAZETTEER.kelurahan(first.id) == first
    assert GAZETTEER.kelurahan_of(999_999) == []
    assert GAZETTEER.kecamatan(999_999) is None


@pytest.mark.parametrize(
    ("typed", "kecamatan"), [("Sabnagau", "Sabangau"), ("Pahadnut", "Pahandut")]
)
def test_two_neighbours_swapped_are_one_typo(typed: str, kecamatan: str) -> None:
    """Eight letters forgive one typo: a swap counts as one, not as two replaced letters."""
    assert _names(GAZETTEER.match_kecamatan(typed)) == [kecamatan]


async def test_gazetteer_loaded_from_the_database_matches(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session)
    async with session_factory() as session:
        gazetteer = await load_gazetteer(session)

    (rakumpit,) = gazetteer.match_kecamatan("rakumpit")
    assert _names(gazetteer.match_kelurahan("petuk berunai", rakumpit.id)) == ["Petuk Barunai"]
    assert _names(gazetteer.match_kecamatan("Sebangau")) == ["Sabangau"]
    assert _names(gazetteer.match_kelurahan("Pahandt")) == ["Pahandut"]
