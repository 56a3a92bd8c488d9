"""The roster CSV: what people write in a spreadsheet, errors by line, replacing a roster."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gazetteer import Gazetteer
from services.roster import (
    RosterFileError,
    ShiftLineError,
    ShiftProblem,
    parse_roster_csv,
    parse_shift_line,
    parse_weekday,
    replace_roster,
)
from storage.models import OfficerArea, RosterShift, User
from storage.repositories.roster import RosterRepo
from storage.repositories.staff import StaffRepo
from tests.staff.conftest import add_user, file_gazetteer, kelurahan

FILE_GAZETTEER = file_gazetteer()


@pytest.mark.parametrize(
    ("text", "weekday"),
    [
        ("0", 0),
        ("6", 6),
        ("Senin", 0),
        ("selasa", 1),
        ("RABU", 2),
        ("Kamis", 3),
        ("Jumat", 4),
        ("Jum'at", 4),
        ("Sabtu", 5),
        ("Minggu", 6),
        ("Monday", 0),
        ("sunday", 6),
        ("Sen", 0),
        ("sel", 1),
        ("Sat", 5),
        ("Thu", 3),
    ],
)
def test_weekdays_as_people_write_them(text: str, weekday: int) -> None:
    assert parse_weekday(text) == weekday


@pytest.mark.parametrize("text", ["7", "-1", "Se", "Funday", "", "S"])
def test_not_weekdays(text: str) -> None:
    assert parse_weekday(text) is None


def test_a_valid_file() -> None:
    gazetteer = FILE_GAZETTEER
    text = (
        "officer_id,kelurahan,weekday,start,end\n"
        "101,Menteng,Senin,08:00,16:00\n"
        "\n"
        "# night shift\n"
        "102,palangka,Monday,22:00,06:00\n"
        "103,Kelampangan,6,16.00,24:00\n"  # an alias, and 16.00 as Indonesians write it
        "104,Mentng,Selasa,8:00,12:30\n"  # a typo, still only one kelurahan
        "101,Menteng,Senin,08:00,16:00\n"  # the same shift again: kept once
    )
    rows = parse_roster_csv(text, gazetteer)
    menteng, palangka = kelurahan(gazetteer, "Menteng").id, kelurahan(gazetteer, "Palangka").id
    kalampangan = kelurahan(gazetteer, "Kalampangan").id
    assert [(r.line, r.officer_id, r.kelurahan_id, r.weekday) for r in rows] == [
        (2, 101, menteng, 0),
        (5, 102, palangka, 0),
        (6, 103, kalampangan, 6),
        (7, 104, menteng, 1),
    ]
    assert [(r.start_minute, r.end_minute) for r in rows] == [
        (480, 960),
        (1320, 360),
        (960, 1440),
        (480, 750),
    ]


def test_header_in_any_order_and_semicolons() -> None:
    gazetteer = FILE_GAZETTEER
    text = "\ufeffkelurahan;officer_id;start;end;weekday\nbukit-tunggal;55;07:00;15:00;Kamis\n"
    [row] = parse_roster_csv(text, gazetteer)
    assert row.officer_id == 55
    assert row.kelurahan_id == kelurahan(gazetteer, "Bukit Tunggal").id
    assert (row.weekday, row.start_minute, row.end_minute) == (3, 420, 900)


def test_errors_name_their_lines() -> None:
    gazetteer = FILE_GAZETTEER
    text = (
        "officer_id,kelurahan,weekday,start,end\n"  # 1
        "101,Menteng,Senin,08:00,16:00\n"  # 2 fine
        "abc,Menteng,Senin,08:00,16:00\n"  # 3
        "\n"  # 4
        "102,Atlantis,Senin,08:00,16:00\n"  # 5
        "103,Petuk,Senin,08:00,16:00\n"  # 6: three kelurahan start with Petuk
        "104,Menteng,Someday,08:00,16:00\n"  # 7
        "105,Menteng,Senin,25:00,16:00\n"  # 8
        "106,Menteng,Senin,08:00,16:60\n"  # 9
        "107,Menteng,Senin,08:00,08:00\n"  # 10
        "108,Menteng,Senin\n"  # 11
        "109,Menteng,Senin,24:00,08:00\n"  # 12: 24:00 only ends a shift
    )
    with pytest.raises(RosterFileError) as caught:
        parse_roster_csv(text, gazetteer)
    errors = {error.line: error.message for error in caught.value.errors}
    assert sorted(errors) == [3, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "officer_id" in errors[3]
    assert "unknown kelurahan 'Atlantis'" in errors[5]
    assert "ambiguous" in errors[6] and "Petuk Katimpun" in errors[6]
    assert "Someday" in errors[7]
    assert "start '25:00'" in errors[8]
    assert "end '16:60'" in errors[9]
    assert "same time" in errors[10]
    assert "expected 5 columns" in errors[11]
    assert "start '24:00'" in errors[12]
    assert caught.value.lines()[0].startswith("line 3: ")


def test_a_header_missing_columns() -> None:
    gazetteer = FILE_GAZETTEER
    with pytest.raises(RosterFileError) as caught:
        parse_roster_csv("officer_id,kelurahan,day,start,end\n1,Menteng,0,08:00,09:00\n", gazetteer)
    assert caught.value.errors[0].line == 1
    assert "weekday" in caught.value.errors[0].message


@pytest.mark.parametrize("text", ["", "officer_id,kelurahan,weekday,start,end\n", "\n# only\n"])
def test_a_file_without_shifts(text: str) -> None:
    gazetteer = FILE_GAZETTEER
    with pytest.raises(RosterFileError, match="1 error"):
        parse_roster_csv(text, gazetteer)


def test_many_errors_are_summarised() -> None:
    gazetteer = FILE_GAZETTEER
    text = "".join(f"x{n},Menteng,0,08:00,09:00\n" for n in range(80))
    with pytest.raises(RosterFileError) as caught:
        parse_roster_csv(text, gazetteer)
    assert len(caught.value.errors) == 50 and caught.value.more == 30
    assert caught.value.lines()[-1] == "... and 30 more"


async def test_replace_roster(session: AsyncSession, gazetteer: Gazetteer) -> None:
    menteng, palangka = kelurahan(gazetteer, "Menteng").id, kelurahan(gazetteer, "Palangka").id
    roster = RosterRepo(session)
    await add_user(session, 201, "officer")
    await add_user(session, 202, "coordinator")
    await add_user(session, 203, "resident")
    await StaffRepo(session).bind(201, menteng)
    await StaffRepo(session).bind(201, palangka)
    await roster.add(kelurahan_id=menteng, officer_id=201, weekday=0, start_minute=0, end_minute=60)
    await roster.add(
        kelurahan_id=palangka, officer_id=201, weekday=2, start_minute=0, end_minute=60
    )
    rows = parse_roster_csv(
        "201,Menteng,Senin,08:00,16:00\n"
        "202,Menteng,Selasa,08:00,16:00\n"
        "203,Menteng,Rabu,08:00,16:00\n"
        "999888777,Menteng,Kamis,22:00,06:00\n",
        gazetteer,
    )
    summary = await replace_roster(session, rows, actor_id=None)
    assert summary.kelurahan_ids == (menteng,)
    assert (summary.shifts, summary.replaced) == (4, 1)
    assert summary.officers_created == (999888777,)
    assert summary.bindings_added == 3

    shifts = await roster.shifts_in([menteng])
    assert [(s.officer_id, s.weekday) for s in shifts] == [
        (201, 0),
        (202, 1),
        (203, 2),
        (999888777, 3),
    ]
    # Palangka was not in the file: its roster is untouched.
    assert [(s.officer_id, s.weekday) for s in await roster.shifts_in([palangka])] == [(201, 2)]
    roles = {u.id: u.role for u in await session.scalars(select(User).where(User.id > 200))}
    assert roles == {201: "officer", 202: "coordinator", 203: "officer", 999888777: "officer"}
    bound = set(
        await session.scalars(
            select(OfficerArea.officer_id).where(OfficerArea.kelurahan_id == menteng)
        )
    )
    assert bound == {201, 202, 203, 999888777}
    assert len(list(await session.scalars(select(RosterShift)))) == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Senin 08:00-16:00", (0, 480, 960, None)),
        ("senin 08.00 - 16.00 12345", (0, 480, 960, 12345)),
        ("Minggu 22:00–06:00", (6, 1320, 360, None)),
        ("  Jum'at 13:30-24:00  77 ", (4, 810, 1440, 77)),
    ],
)
def test_a_shift_typed_in_the_chat(text: str, expected: tuple[int, int, int, int | None]) -> None:
    spec = parse_shift_line(text)
    assert (spec.weekday, spec.start_minute, spec.end_minute, spec.officer_id) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tomorrow morning", ShiftProblem.FORMAT),
        ("Senin 08:00", ShiftProblem.FORMAT),
        ("Senin 08:00-16:00 budi", ShiftProblem.FORMAT),
        ("Someday 08:00-16:00", ShiftProblem.WEEKDAY),
        ("Senin 08:00-16:75", ShiftProblem.TIME),
        ("Senin 26:00-16:00", ShiftProblem.TIME),
        ("Senin 08:00-08:00", ShiftProblem.EMPTY),
    ],
)
def test_a_shift_typed_wrong(text: str, problem: ShiftProblem) -> None:
    with pytest.raises(ShiftLineError) as caught:
        parse_shift_line(text)
    assert caught.value.problem is problem
