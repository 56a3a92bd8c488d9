"""Coordinators' insight: counts, response times against targets, and officers' area counts.

Rows are fetched once per request and everything else is computed here in Python: medians and
percentiles over the fetched durations come out the same on SQLite and PostgreSQL (their SQL
percentile functions differ or are missing), and a city's cases per year fit in memory easily.
Periods are calendar days in the service's timezone, both ends included.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import OPEN_STATUSES
from services.choices import ABH, TPPO
from services.durations import parse_duration
from services.gazetteer import Gazetteer
from storage.models import AppSetting, utcnow
from storage.repositories import statistics as statistics_rows

# Five years answers any planning question; more would only be a typo or a slow export.
MAX_PERIOD_DAYS = 5 * 366
PRESETS = ("7d", "30d", "year")
# Handling has started once an officer moved the case past "taken" (or closed it).
HANDLING_STATUSES = ("ditangani", "dirujuk", "selesai")
# UPTD PPA practice: an urgent report acknowledged within 15 minutes, any other report
# handled within 6 hours.
DEFAULT_URGENT_ACK = timedelta(minutes=15)
DEFAULT_HANDLE = timedelta(hours=6)
TARGET_KEYS = {"urgent": "target_urgent_ack", "handle": "target_handle"}
# Longest target we accept: a week is already far beyond any service promise.
MAX_TARGET = timedelta(days=7)

_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
# The targets by the words a coordinator may type, in either language.
TARGET_NAMES = {
    **dict.fromkeys(("urgent", "mendesak"), "urgent"),
    **dict.fromkeys(("handle", "tangani", "ditangani"), "handle"),
}


class PeriodError(ValueError):
    """A period that cannot be used; `reason` is "malformed", "reversed" or "too_long"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in aware datetimes: local midnight of the first and the day after."""
        start = datetime.combine(self.first, time(), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=tz)
        return start, end

    def token(self) -> str:
        """Short form for callback data (64 bytes max): 20261001-20261031."""
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"

    def __str__(self) -> str:
        return f"{self.first:%d-%m-%Y} – {self.last:%d-%m-%Y}"


def _checked(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError("reversed")
    period = Period(first, last)
    if period.days > MAX_PERIOD_DAYS:
        raise PeriodError("too_long")
    return period


def preset_period(name: str, today: date) -> Period:
    if name == "7d":
        return Period(today - timedelta(days=6), today)
    if name == "30d":
        return Period(today - timedelta(days=29), today)
    if name == "year":
        return Period(date(today.year, 1, 1), today)
    raise PeriodError("malformed")


def parse_period(text: str) -> Period:
    """Two dates as a person types them: `01-10-2026 31-10-2026` (also / or . between)."""
    found = _DATE.findall(text)
    rest = _DATE.sub(" ", text).replace("–", " ").replace("-", " ").replace("s/d", " ")
    if len(found) != 2 or rest.strip():
        raise PeriodError("malformed")
    try:
        first, last = (date(int(y), int(m), int(d)) for d, m, y in found)
    except ValueError:
        raise PeriodError("malformed") from None
    return _checked(first, last)


def period_from_token(token: str, today: date) -> Period:
    """A preset name or the `token()` form back from a button."""
    if token in PRESETS:
        return preset_period(token, today)
    match = re.fullmatch(r"(\d{8})-(\d{8})", token)
    if match is None:
        raise PeriodError("malformed")
    try:
        first, last = (datetime.strptime(part, "%Y%m%d").date() for part in match.groups())
    except ValueError:
        raise PeriodError("malformed") from None
    return _checked(first, last)


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Targets:
    urgent_ack: timedelta = DEFAULT_URGENT_ACK
    handle: timedelta = DEFAULT_HANDLE


def parse_target_duration(text: str) -> timedelta | None:
    """`15m`, `6h`, `1d`, `15 menit`, `6 jam`, `1 hari`; None if unreadable, zero or over a
    week."""
    value = parse_duration(text)
    return value if value is not None and timedelta(0) < value <= MAX_TARGET else None


async def load_targets(session: AsyncSession) -> Targets:
    rows = await statistics_rows.settings(session, list(TARGET_KEYS.values()))

    def read(key: str, default: timedelta) -> timedelta:
        try:
            return timedelta(seconds=int(rows[key]))
        except (KeyError, ValueError):
            return default

    return Targets(
        urgent_ack=read(TARGET_KEYS["urgent"], DEFAULT_URGENT_ACK),
        handle=read(TARGET_KEYS["handle"], DEFAULT_HANDLE),
    )


async def save_target(session: AsyncSession, which: str, value: timedelta, actor_id: int) -> None:
    """Store one target ("urgent" or "handle") in seconds."""
    key = TARGET_KEYS[which]
    row = await session.get(AppSetting, key)
    if row is None:
        row = AppSetting(key=key, value="")
        session.add(row)
    row.value = str(int(value.total_seconds()))
    row.updated_at = utcnow()
    row.updated_by = actor_id
    await session.flush()


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRow:
    """What statistics need of one report: no personal data."""

    id: int
    category: str
    status: str
    urgent: bool
    kelurahan_id: int
    created_at: datetime
    acknowledged_at: datetime | None
    handling_at: datetime | None
    closed_at: datetime | None
    owner_id: int | None
    # What only ABH and TPPO reports ask (codes; None for other categories).
    child_role: str | None = None
    recruitment: str | None = None
    border: str | None = None


async def fetch_rows(
    session: AsyncSession,
    period: Period,
    tz: ZoneInfo,
    kelurahan_ids: Sequence[int] | None = None,
) -> list[CaseRow]:
    """Reports registered in the period (optionally of some kelurahan only)."""
    start, end = period.bounds(tz)
    found = await statistics_rows.case_rows(session, start, end, HANDLING_STATUSES, kelurahan_ids)
    rows = []
    for row in found:
        handling_at = _aware(row[7])
        closed_at = row[8]
        rows.append(
            CaseRow(
                id=row[0],
                category=row[1],
                status=row[2],
                urgent=bool(row[3]),
                kelurahan_id=row[4],
                created_at=row[5],
                acknowledged_at=row[6],
                # A case closed without a recorded "ditangani" was still handled by its close.
                handling_at=handling_at or closed_at,
                closed_at=closed_at,
                owner_id=row[9],
                child_role=row[10],
                recruitment=row[11],
                border=row[12],
            )
        )
    return rows


def _aware(value: datetime | None) -> datetime | None:
    # min() over a UTCDateTime column loses the TypeDecorator on SQLite: naive means UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo("UTC"))


async def officer_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Display names of case owners (raw text: escape before putting it in HTML)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    users = await statistics_rows.users(session, wanted)
    return {user.id: user.display_name or f"#{user.id}" for user in users}


# --- computation -----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float | None:
    """The value below which `share` (0.01 to 0.99) of them lie, interpolated between closest
    ranks (numpy's default, the standard library's "inclusive"); None for no values."""
    if len(values) < 2:  # quantiles() wants two before Python 3.13
        return values[0] if values else None
    cut_points = statistics.quantiles(values, n=100, method="inclusive")
    return cut_points[round(share * 100) - 1]


@dataclass(frozen=True, slots=True)
class Timing:
    """Durations in seconds of one group: acknowledge and close, median and 90th percentile."""

    acknowledged: int
    ack_median: float | None
    ack_p90: float | None
    closed: int
    close_median: float | None
    close_p90: float | None


@dataclass(frozen=True, slots=True)
class TargetShare:
    """How many of the cases the target applies to met it; pending ones are left out."""

    met: int
    counted: int
    pending: int

    @property
    def share(self) -> float | None:
        return self.met / self.counted if self.counted else None


@dataclass(frozen=True, slots=True)
class Statistics:
    period: Period
    total: int
    urgent: int
    by_category: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    # Names, most cases first; kelurahan as (kecamatan name, kelurahan name, count).
    by_kecamatan: list[tuple[str, int]]
    by_kelurahan: list[tuple[str, str, int]]
    timing: Timing
    timing_by_kecamatan: list[tuple[str, Timing]]
    timing_by_officer: list[tuple[int, Timing]]
    targets: Targets
    urgent_target: TargetShare
    handle_target: TargetShare
    urgent_target_by_kecamatan: list[tuple[str, TargetShare]] = field(default_factory=list)
    handle_target_by_kecamatan: list[tuple[str, TargetShare]] = field(default_factory=list)
    # ABH cases by the child's part; TPPO cases by recruitment and by a border crossed (codes).
    abh_by_role: list[tuple[str, int]] = field(default_factory=list)
    tppo_by_recruitment: list[tuple[str, int]] = field(default_factory=list)
    tppo_by_border: list[tuple[str, int]] = field(default_factory=list)


def _seconds(start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _timing(rows: Sequence[CaseRow]) -> Timing:
    acks = [s for r in rows if (s := _seconds(r.created_at, r.acknowledged_at)) is not None]
    closes = [s for r in rows if (s := _seconds(r.created_at, r.closed_at)) is not None]
    return Timing(
        acknowledged=len(acks),
        ack_median=percentile(acks, 0.5),
        ack_p90=percentile(acks, 0.9),
        closed=len(closes),
        close_median=percentile(closes, 0.5),
        close_p90=percentile(closes, 0.9),
    )


def _target_share(
    rows: Iterable[CaseRow],
    reached: Callable[[CaseRow], datetime | None],
    target: timedelta,
    now: datetime,
) -> TargetShare:
    met = counted = pending = 0
    for row in rows:
        at = reached(row)
        if at is None and now - row.created_at <= target:
            pending += 1  # still within its time: neither met nor missed yet
            continue
        counted += 1
        if at is not None and at - row.created_at <= target:
            met += 1
    return TargetShare(met, counted, pending)


def compute(
    rows: Sequence[CaseRow],
    period: Period,
    gazetteer: Gazetteer,
    targets: Targets,
    now: datetime,
) -> Statistics:
    def kecamatan_name(kelurahan_id: int) -> str:
        kel = gazetteer.kelurahan(kelurahan_id)
        kec = gazetteer.kecamatan(kel.kecamatan_id) if kel is not None else None
        return kec.name if kec is not None else "?"

    def kelurahan_name(kelurahan_id: int) -> str:
        kel = gazetteer.kelurahan(kelurahan_id)
        return kel.name if kel is not None else f"#{kelurahan_id}"

    def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))

    by_kecamatan_rows: dict[str, list[CaseRow]] = {}
    by_officer_rows: dict[int, list[CaseRow]] = {}
    kelurahan_counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        kec = kecamatan_name(row.kelurahan_id)
        by_kecamatan_rows.setdefault(kec, []).append(row)
        kelurahan_counts[(kec, kelurahan_name(row.kelurahan_id))] += 1
        if row.owner_id is not None:
            by_officer_rows.setdefault(row.owner_id, []).append(row)
    kecamatan_order = sorted(by_kecamatan_rows, key=lambda k: (-len(by_kecamatan_rows[k]), k))

    def urgent_share(group: Iterable[CaseRow]) -> TargetShare:
        return _target_share(
            (r for r in group if r.urgent), lambda r: r.acknowledged_at, targets.urgent_ack, now
        )

    def handle_share(group: Iterable[CaseRow]) -> TargetShare:
        return _target_share(
            (r for r in group if not r.urgent), lambda r: r.handling_at, targets.handle, now
        )

    return Statistics(
        period=period,
        total=len(rows),
        urgent=sum(r.urgent for r in rows),
        by_category=ranked(Counter(r.category for r in rows)),
        by_status=ranked(Counter(r.status for r in rows)),
        by_kecamatan=[(k, len(by_kecamatan_rows[k])) for k in kecamatan_order],
        by_kelurahan=[
            (kec, kel, count)
            for (kec, kel), count in sorted(
                kelurahan_counts.items(), key=lambda item: (-item[1], item[0])
            )
        ],
        timing=_timing(rows),
        timing_by_kecamatan=[(k, _timing(by_kecamatan_rows[k])) for k in kecamatan_order],
        timing_by_officer=sorted(
            ((officer, _timing(group)) for officer, group in by_officer_rows.items()),
            key=lambda item: (-item[1].acknowledged, item[0]),
        ),
        targets=targets,
        urgent_target=urgent_share(rows),
        handle_target=handle_share(rows),
        urgent_target_by_kecamatan=[
            (k, urgent_share(by_kecamatan_rows[k])) for k in kecamatan_order
        ],
        handle_target_by_kecamatan=[
            (k, handle_share(by_kecamatan_rows[k])) for k in kecamatan_order
        ],
        abh_by_role=ranked(Counter(r.child_role or "unknown" for r in rows if r.category == ABH)),
        tppo_by_recruitment=ranked(
            Counter(r.recruitment or "unknown" for r in rows if r.category == TPPO)
        ),
        tppo_by_border=ranked(Counter(r.border or "unknown" for r in rows if r.category == TPPO)),
    )


async def count_cases(session: AsyncSession, period: Period, tz: ZoneInfo) -> int:
    """How many cases `period` holds: for the audit log, before statistics or an export of
    it are made after the commit."""
    return await statistics_rows.count_made(session, *period.bounds(tz))


async def statistics_for(
    session: AsyncSession,
    period: Period,
    tz: ZoneInfo,
    gazetteer: Gazetteer,
    now: datetime,
) -> Statistics:
    rows = await fetch_rows(session, period, tz)
    return compute(rows, period, gazetteer, await load_targets(session), now)


# --- officers' area counts (/kasus) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaCounts:
    open: int
    new: int
    closed_recently: int


# "Handled" on /kasus: closed within this many days, a month of work at a glance.
RECENT_DAYS = 30


async def area_counts(
    session: AsyncSession, kelurahan_ids: Sequence[int] | None, now: datetime
) -> AreaCounts:
    """Open and new cases, and cases closed in the last 30 days; None means the whole city."""
    open_count, new_count, closed = await statistics_rows.area_counts(
        session, kelurahan_ids, OPEN_STATUSES, now - timedelta(days=RECENT_DAYS)
    )
    return AreaCounts(open_count, new_count, closed)


__all__ = [
    "DEFAULT_HANDLE",
    "DEFAULT_URGENT_ACK",
    "MAX_PERIOD_DAYS",
    "PRESETS",
    "AreaCounts",
    "CaseRow",
    "Period",
    "PeriodError",
    "Statistics",
    "TargetShare",
    "Targets",
    "Timing",
    "area_counts",
    "compute",
    "count_cases",
    "fetch_rows",
    "load_targets",
    "officer_names",
    "parse_period",
    "parse_target_duration",
    "percentile",
    "period_from_token",
    "preset_period",
    "save_target",
    "statistics_for",
]
