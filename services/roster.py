"""The weekly duty roster: reading days and times as people write them, the CSV import, and
the shifts a coordinator adds or removes in the chat (/jadwal).

Times are local (TIMEZONE) minutes after midnight. A shift whose end is before its start
crosses midnight ("Senin 22:00-06:00" runs into Tuesday morning); `24:00` may end a shift.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from services.gazetteer import Gazetteer, KelurahanEntry
from services.roles import COORDINATOR, OFFICER, make_officer
from storage.models import User
from storage.repositories.audit import AuditRepo
from storage.repositories.roster import RosterRepo
from storage.repositories.staff import StaffRepo

MINUTES_PER_DAY = 24 * 60
COLUMNS = ("officer_id", "kelurahan", "weekday", "start", "end")
# Past this many, more errors only say how many: the first ones are what a person fixes first.
MAX_REPORTED_ERRORS = 50
# Telegram user ids are positive and fit in 52 bits.
_MAX_USER_ID = 2**52

_WEEKDAYS = {
    "senin": 0,
    "selasa": 1,
    "rabu": 2,
    "kamis": 3,
    "jumat": 4,
    "sabtu": 5,
    "minggu": 6,
    "ahad": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
# Three letters tell every day apart in both languages ("sen"/"sel", "sab"/"sat"/"sun").
_MIN_DAY_PREFIX = 3
# 08:00 or 08.00 (the usual Indonesian way of writing times).
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_SHIFT_LINE = re.compile(
    r"\s*(?P<day>\S+)\s+(?P<start>\d{1,2}[:.]\d{2})\s*[-–—]\s*(?P<end>\d{1,2}[:.]\d{2})"
    r"(?:\s+(?P<officer>\d+))?\s*"
)


# --- days and times ---------------------------------------------------------------------------


def parse_weekday(text: str) -> int | None:
    """0 (Monday) to 6 from `0`-`6`, Senin..Minggu or Monday..Sunday (any case, 3+ letters)."""
    word = text.strip().casefold().replace("'", "").replace("’", "")
    if word.isdigit():
        number = int(word)
        return number if 0 <= number <= 6 else None
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    if len(word) < _MIN_DAY_PREFIX:
        return None
    days = {day for name, day in _WEEKDAYS.items() if name.startswith(word)}
    return days.pop() if len(days) == 1 else None


def parse_time(text: str, *, end: bool = False) -> int | None:
    """Minutes after midnight from `HH:MM` or `HH.MM`; `24:00` only as the end of a shift."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59:
        return None
    if hours == 24 and minutes == 0 and end:
        return MINUTES_PER_DAY
    if hours > 23:
        return None
    return hours * 60 + minutes


def format_minutes(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# --- one shift typed in the chat ----------------------------------------------------------------


class ShiftProblem(StrEnum):
    FORMAT = "format"
    WEEKDAY = "weekday"
    TIME = "time"
    EMPTY = "empty"  # start equals end


class ShiftLineError(ValueError):
    def __init__(self, problem: ShiftProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    weekday: int
    start_minute: int
    end_minute: int
    officer_id: int | None


def parse_shift_line(text: str) -> ShiftSpec:
    """`Senin 08:00-16:00 [officer id]` as typed in /jadwal; raises ShiftLineError."""
    match = _SHIFT_LINE.fullmatch(text)
    if match is None:
        raise ShiftLineError(ShiftProblem.FORMAT)
    weekday = parse_weekday(match["day"])
    if weekday is None:
        raise ShiftLineError(ShiftProblem.WEEKDAY)
    start, end = parse_time(match["start"]), parse_time(match["end"], end=True)
    if start is None or end is None:
        raise ShiftLineError(ShiftProblem.TIME)
    if start == end:
        raise ShiftLineError(ShiftProblem.EMPTY)
    officer = match["officer"]
    officer_id = int(officer) if officer else None
    if officer_id is not None and not 0 < officer_id < _MAX_USER_ID:
        raise ShiftLineError(ShiftProblem.FORMAT)
    return ShiftSpec(weekday, start, end, officer_id)


# --- the CSV file -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShiftRow:
    line: int
    officer_id: int
    kelurahan_id: int
    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RosterFileError(ValueError):
    """The file cannot be imported; `errors` name every bad line (nothing was changed)."""

    def __init__(self, errors: list[LineError], more: int = 0) -> None:
        super().__init__(f"{len(errors) + more} error(s) in the roster file")
        self.errors = errors
        self.more = more

    def lines(self) -> list[str]:
        shown = [str(error) for error in self.errors]
        if self.more:
            shown.append(f"... and {self.more} more")
        return shown


def parse_roster_csv(text: str, gazetteer: Gazetteer) -> list[ShiftRow]:
    """Shifts from `officer_id,kelurahan,weekday,start,end` rows; raises RosterFileError.

    A header row is optional (with it, columns may come in any order). Blank lines and lines
    starting with `#` are skipped. Spreadsheets set to Indonesian save CSV with `;` between
    columns (the comma is their decimal sign), so `;` is accepted when a line has no comma.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    slugs = {kel.slug: kel for kec in gazetteer.kecamatan_list() for kel in kec.kelurahan}
    order: dict[str, int] | None = None
    rows: list[ShiftRow] = []
    errors: list[LineError] = []
    seen: set[tuple[int, int, int, int, int]] = set()
    for cells in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not rows and not errors and order is None and _looks_like_header(cells):
            order, problem = _header(cells)
            if problem:
                errors.append(LineError(line, problem))
            continue
        row = _row(line, cells, order, gazetteer, slugs)
        if isinstance(row, LineError):
            errors.append(row)
            continue
        key = (row.officer_id, row.kelurahan_id, row.weekday, row.start_minute, row.end_minute)
        if key not in seen:  # the same shift twice is harmless: keep one
            seen.add(key)
            rows.append(row)
    if not rows and not errors:
        errors.append(LineError(max(1, reader.line_num), "the file has no shifts"))
    if errors:
        raise RosterFileError(
            errors[:MAX_REPORTED_ERRORS], max(0, len(errors) - MAX_REPORTED_ERRORS)
        )
    return rows


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if ";" in first and "," not in first else ","


def _looks_like_header(cells: list[str]) -> bool:
    return not cells[0].isdigit() and any(cell.casefold() in COLUMNS for cell in cells)


def _header(cells: list[str]) -> tuple[dict[str, int] | None, str | None]:
    names = [cell.casefold() for cell in cells]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        return None, "the header lacks the column(s) " + ", ".join(missing)
    return {column: names.index(column) for column in COLUMNS}, None


def _row(
    line: int,
    cells: list[str],
    order: dict[str, int] | None,
    gazetteer: Gazetteer,
    slugs: dict[str, KelurahanEntry],
) -> ShiftRow | LineError:
    if order is None:
        if len(cells) != len(COLUMNS):
            return LineError(
                line, f"expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), found {len(cells)}"
            )
        order = {column: index for index, column in enumerate(COLUMNS)}
    elif len(cells) <= max(order.values()):
        return LineError(line, f"expected {len(order)} columns, found {len(cells)}")
    value = {column: cells[index] for column, index in order.items()}
    officer = value["officer_id"]
    if not officer.isdigit() or not 0 < int(officer) < _MAX_USER_ID:
        return LineError(line, f"officer_id {officer!r} is not a Telegram user id")
    kelurahan = _kelurahan(value["kelurahan"], gazetteer, slugs)
    if isinstance(kelurahan, str):
        return LineError(line, kelurahan)
    weekday = parse_weekday(value["weekday"])
    if weekday is None:
        return LineError(
            line, f"weekday {value['weekday']!r} is not 0-6, Senin..Minggu or Monday..Sunday"
        )
    start, end = parse_time(value["start"]), parse_time(value["end"], end=True)
    if start is None:
        return LineError(line, f"start {value['start']!r} is not a time like 08:00")
    if end is None:
        return LineError(line, f"end {value['end']!r} is not a time like 16:00")
    if start == end:
        return LineError(line, "start and end are the same time")
    return ShiftRow(line, int(officer), kelurahan.id, weekday, start, end)


def _kelurahan(
    text: str, gazetteer: Gazetteer, slugs: dict[str, KelurahanEntry]
) -> KelurahanEntry | str:
    """The one kelurahan `text` names (slug or name, forgiving typos), or what is wrong."""
    if not text:
        return "the kelurahan is empty"
    if (by_slug := slugs.get(text.casefold())) is not None:
        return by_slug
    matches = gazetteer.match_kelurahan(text)
    if not matches:
        return f"unknown kelurahan {text!r}"
    if len(matches) > 1:
        names = ", ".join(match.name for match in matches[:5])
        return f"kelurahan {text!r} is ambiguous: it could be {names}"
    return matches[0]


@dataclass(frozen=True, slots=True)
class RosterImport:
    kelurahan_ids: tuple[int, ...]
    shifts: int
    replaced: int
    officers_created: tuple[int, ...]
    bindings_added: int


async def replace_roster(
    session: AsyncSession, rows: list[ShiftRow], *, actor_id: int | None = None
) -> RosterImport:
    """Replace the roster of every kelurahan in `rows` (others keep theirs).

    An officer not yet bound to a kelurahan of their shift is bound; an id the bot has never
    seen is created as an officer (they will be reachable once they open the bot), and a known
    resident becomes an officer: whoever runs the import speaks for the coordinators.
    """
    staff, roster = StaffRepo(session), RosterRepo(session)
    kelurahan_ids = tuple(sorted({row.kelurahan_id for row in rows}))
    replaced = await roster.delete_in(kelurahan_ids)
    created: list[int] = []
    for officer_id in dict.fromkeys(row.officer_id for row in rows):
        _, is_new = await make_officer(session, officer_id)
        if is_new:
            created.append(officer_id)
    bound = 0
    for officer_id, kelurahan_id in dict.fromkeys((r.officer_id, r.kelurahan_id) for r in rows):
        bound += await staff.bind(officer_id, kelurahan_id)
    for row in rows:
        await roster.add(
            kelurahan_id=row.kelurahan_id,
            officer_id=row.officer_id,
            weekday=row.weekday,
            start_minute=row.start_minute,
            end_minute=row.end_minute,
        )
    await AuditRepo(session).record(
        "roster_imported",
        actor_id=actor_id,
        kelurahan=len(kelurahan_ids),
        shifts=len(rows),
        replaced=replaced,
        officers_created=len(created),
    )
    return RosterImport(kelurahan_ids, len(rows), replaced, tuple(created), bound)


# --- the roster in the chat (/jadwal) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShiftView:
    id: int
    officer_id: int
    officer_name: str | None
    weekday: int
    start_minute: int
    end_minute: int


async def week_of(session: AsyncSession, kelurahan_id: int) -> list[ShiftView]:
    """The kelurahan's shifts, Monday first, with the names officers go by."""
    shifts = await RosterRepo(session).shifts_in([kelurahan_id])
    names = await _names(session, {shift.officer_id for shift in shifts})
    return [
        ShiftView(
            shift.id,
            shift.officer_id,
            names.get(shift.officer_id),
            shift.weekday,
            shift.start_minute,
            shift.end_minute,
        )
        for shift in shifts
    ]


async def _names(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    names: dict[int, str | None] = {}
    for user_id in user_ids:
        user = await session.get(User, user_id)
        names[user_id] = user.display_name if user is not None else None
    return names


@dataclass(frozen=True, slots=True)
class AddedShift:
    shift_id: int
    newly_bound: bool
    duplicate: bool


async def add_shift(
    session: AsyncSession,
    *,
    kelurahan_id: int,
    officer_id: int,
    weekday: int,
    start_minute: int,
    end_minute: int,
    actor_id: int | None,
) -> AddedShift:
    """Add one weekly shift; the officer is bound to the kelurahan if they were not.

    Raises LookupError when `officer_id` is not staff (only existing officers get shifts from
    the chat; the CSV import is where new ids come in) and ValueError on impossible times.
    """
    if not (0 <= weekday <= 6 and 0 <= start_minute < MINUTES_PER_DAY):
        raise ValueError("weekday or start out of range")
    if not 0 <= end_minute <= MINUTES_PER_DAY or start_minute == end_minute:
        raise ValueError("end out of range")
    user = await session.get(User, officer_id)
    if user is None or user.role not in (OFFICER, COORDINATOR):
        raise LookupError("not an officer")
    roster = RosterRepo(session)
    for shift in await roster.shifts_in([kelurahan_id], [officer_id]):
        if (shift.weekday, shift.start_minute, shift.end_minute) == (
            weekday,
            start_minute,
            end_minute,
        ):
            return AddedShift(shift.id, newly_bound=False, duplicate=True)
    newly_bound = await StaffRepo(session).bind(officer_id, kelurahan_id)
    shift = await roster.add(
        kelurahan_id=kelurahan_id,
        officer_id=officer_id,
        weekday=weekday,
        start_minute=start_minute,
        end_minute=end_minute,
    )
    await AuditRepo(session).record(
        "shift_added",
        actor_id=actor_id,
        shift_id=shift.id,
        kelurahan_id=kelurahan_id,
        officer_id=officer_id,
    )
    return AddedShift(shift.id, newly_bound=newly_bound, duplicate=False)


async def remove_shift(
    session: AsyncSession, shift_id: int, *, kelurahan_id: int, actor_id: int | None
) -> bool:
    """Remove a shift of `kelurahan_id`; False when it is gone (or belongs elsewhere)."""
    roster = RosterRepo(session)
    shift = await roster.get(shift_id)
    if shift is None or shift.kelurahan_id != kelurahan_id:
        return False
    await roster.delete(shift_id)
    await AuditRepo(session).record(
        "shift_removed", actor_id=actor_id, shift_id=shift_id, kelurahan_id=kelurahan_id
    )
    return True
