"""services/statistics.py and services/export.py against a seeded database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.durations import duration_text
from services.export import COLUMNS, PERSONAL_COLUMNS, export_cases
from services.export_file import parse_csv, to_csv, to_xlsx
from services.gazetteer import Gazetteer
from services.statistics import (
    MAX_PERIOD_DAYS,
    Period,
    PeriodError,
    Targets,
    area_counts,
    load_targets,
    parse_period,
    parse_target_duration,
    percentile,
    period_from_token,
    preset_period,
    save_target,
    statistics_for,
)
from tests.insight.seeding import add_officer, add_report, kelurahan_id, wib

WIB = ZoneInfo("Asia/Jakarta")
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
RINA, JOKO = 501, 502
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


async def seed_october(session: AsyncSession) -> None:
    await add_officer(session, RINA, "Kalampangan", "Bu Rina <b>")
    await add_officer(session, JOKO, "Menteng", "Pak Joko")
    await add_report(
        session,
        "Kalampangan",
        wib(1),
        urgent=True,
        ack_after=10 * M,
        handling_after=H,
        close_after=2 * D,
        owner_id=RINA,
    )
    await add_report(session, "Kalampangan", wib(2), urgent=True, ack_after=30 * M, owner_id=RINA)
    await add_report(
        session,
        "Menteng",
        wib(3),
        category="sexual",
        ack_after=H,
        handling_after=5 * H,
        close_after=10 * D,
        owner_id=JOKO,
    )
    await add_report(
        session, "Menteng", wib(4), ack_after=2 * H, handling_after=8 * H, owner_id=JOKO
    )
    await add_report(session, "Langkai", wib(5))
    # The edges of the month in local time: 23:30 WIB on the 31st is in, 00:30 on 1 Nov and
    # 23:59 on 30 Sep are out (UTC would put them the other way round).
    await add_report(session, "Langkai", wib(31, 23) + 30 * M, reporter_name="Siti")
    await add_report(session, "Langkai", wib(1, 0, month=11) + 30 * M)
    await add_report(session, "Langkai", wib(30, 23, month=9) + 59 * M)


@pytest.fixture
async def seeded(
    session_factory: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> async_sessionmaker[AsyncSession]:
    async with session_factory() as session, session.begin():
        await seed_october(session)
    return session_factory


async def test_counts_times_and_targets(
    seeded: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> None:
    now = datetime.now(UTC)
    async with seeded() as session:
        stats = await statistics_for(session, OCTOBER, WIB, gazetteer, now)
    assert stats.total == 6 and stats.urgent == 2
    assert stats.by_category == [("physical", 5), ("sexual", 1)]
    assert stats.by_kecamatan == [("Jekan Raya", 2), ("Pahandut", 2), ("Sabangau", 2)]
    assert ("Pahandut", "Langkai", 2) in stats.by_kelurahan
    assert dict(stats.by_status) == {"selesai": 2, "diterima": 1, "ditangani": 1, "baru": 2}
    # Acknowledged after 10, 30, 60, 120 minutes; closed after 2 and 10 days.
    assert stats.timing.acknowledged == 4
    assert stats.timing.ack_median == 45 * 60
    assert stats.timing.ack_p90 == pytest.approx(102 * 60)
    assert stats.timing.close_median == (6 * D).total_seconds()
    assert stats.timing.close_p90 == pytest.approx((9.2 * D).total_seconds())
    per_officer = dict(stats.timing_by_officer)
    assert per_officer[RINA].ack_median == 20 * 60
    assert per_officer[JOKO].ack_median == 90 * 60
    sabangau = dict(stats.timing_by_kecamatan)["Sabangau"]
    assert sabangau.acknowledged == 2 and sabangau.closed == 1
    # Urgent: 10 min meets 15 min, 30 min does not. Others: only the 5 h one meets 6 h.
    assert (stats.urgent_target.met, stats.urgent_target.counted) == (1, 2)
    assert (stats.handle_target.met, stats.handle_target.counted) == (1, 4)
    assert dict(stats.urgent_target_by_kecamatan)["Sabangau"].share == 0.5


async def test_targets_are_stored_and_change_the_shares(
    seeded: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> None:
    async with seeded() as session:
        assert await load_targets(session) == Targets(15 * M, 6 * H)
    async with seeded() as session, session.begin():
        await save_target(session, "handle", 9 * H, actor_id=1)
        await save_target(session, "urgent", 45 * M, actor_id=1)
    async with seeded() as session:
        assert await load_targets(session) == Targets(45 * M, 9 * H)
        stats = await statistics_for(session, OCTOBER, WIB, gazetteer, datetime.now(UTC))
    assert (stats.urgent_target.met, stats.urgent_target.counted) == (2, 2)
    assert (stats.handle_target.met, stats.handle_target.counted) == (2, 4)


async def test_a_fresh_case_is_pending_not_missed(
    session_factory: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> None:
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        await add_report(session, "Menteng", now - 5 * M, urgent=True)
        stats = await statistics_for(
            session, preset_period("7d", now.astimezone(WIB).date()), WIB, gazetteer, now
        )
    assert stats.urgent_target.pending == 1 and stats.urgent_target.share is None


async def test_an_empty_period(
    gazetteer: Gazetteer, seeded: async_sessionmaker[AsyncSession]
) -> None:
    async with seeded() as session:
        stats = await statistics_for(
            session,
            Period(date(2020, 1, 1), date(2020, 12, 31)),
            WIB,
            gazetteer,
            datetime.now(UTC),
        )
        export = await export_cases(
            session, Period(date(2020, 1, 1), date(2020, 1, 2)), WIB, gazetteer
        )
    assert stats.total == 0 and stats.timing.ack_median is None and stats.by_category == []
    assert parse_csv(to_csv(export)) == []
    assert to_xlsx(export)[:2] == b"PK"


async def test_area_counts_for_an_officer(
    session_factory: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> None:
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        await add_report(session, "Menteng", now - H)
        await add_report(session, "Menteng", now - H, ack_after=M)
        await add_report(session, "Menteng", now - 3 * D, ack_after=M, close_after=D)
        await add_report(session, "Menteng", now - 60 * D, ack_after=M, close_after=D)
        await add_report(session, "Kalampangan", now - H)
        menteng = await kelurahan_id(session, "Menteng")
        mine = await area_counts(session, [menteng], now)
        city = await area_counts(session, None, now)
        nothing = await area_counts(session, [], now)
    assert (mine.open, mine.new, mine.closed_recently) == (2, 1, 1)
    assert (city.open, city.new, city.closed_recently) == (3, 2, 1)
    assert (nothing.open, nothing.new, nothing.closed_recently) == (0, 0, 0)


async def test_export_rows_and_personal_data(
    seeded: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> None:
    async with seeded() as session:
        plain = await export_cases(session, OCTOBER, WIB, gazetteer)
        personal = await export_cases(session, OCTOBER, WIB, gazetteer, personal=True)
    rows = parse_csv(to_csv(plain))
    assert len(rows) == 6 and tuple(rows[0]) == COLUMNS
    first = rows[0]
    assert first["tanggal_registrasi"] == "2026-10-01 10:00"
    assert first["kecamatan"] == "Sabangau" and first["kelurahan"] == "Kalampangan"
    assert first["jenis_kelamin_korban"] == "P" and first["kelompok_umur_korban"] == "6-12 tahun"
    assert first["kelompok_umur_kode"] == "6-12"
    assert first["mendesak"] == "ya" and first["status"] == "Selesai"
    assert first["status_kode"] == "selesai"
    assert first["tanggal_diterima"] == "2026-10-01 10:10"
    assert first["tanggal_selesai"] == "2026-10-03 10:00"
    assert "Siti" not in to_csv(plain).decode() and "memukul" not in to_csv(plain).decode()
    rows = parse_csv(to_csv(personal))
    assert tuple(rows[0]) == COLUMNS + PERSONAL_COLUMNS
    assert rows[-1]["nama_pelapor"] == "Siti" and "memukul" in rows[-1]["kronologi"]


async def test_spreadsheet_formulas_are_defused(
    session_factory: async_sessionmaker[AsyncSession], gazetteer: Gazetteer
) -> None:
    async with session_factory() as session, session.begin():
        await add_report(session, "Menteng", wib(2), description='=HYPERLINK("x")')
        export = await export_cases(session, OCTOBER, WIB, gazetteer, personal=True)
    assert parse_csv(to_csv(export))[0]["kronologi"] == '\'=HYPERLINK("x")'


def test_periods() -> None:
    assert parse_period("01-10-2026 31-10-2026") == OCTOBER
    assert parse_period(" 1/10/2026 - 31.10.2026 ") == OCTOBER
    assert period_from_token(OCTOBER.token(), date(2026, 11, 27)) == OCTOBER
    assert preset_period("7d", date(2026, 11, 27)) == Period(date(2026, 11, 21), date(2026, 11, 27))
    assert preset_period("year", date(2026, 11, 27)).first == date(2026, 1, 1)
    for text, reason in (
        ("31-10-2026 01-10-2026", "reversed"),
        ("01-01-2015 31-12-2026", "too_long"),
        ("kemarin", "malformed"),
        ("31-02-2026 01-03-2026", "malformed"),
        ("01-10-2026", "malformed"),
        ("01-10-2026 31-10-2026 drop table", "malformed"),
    ):
        with pytest.raises(PeriodError) as raised:
            parse_period(text)
        assert raised.value.reason == reason, text
    with pytest.raises(PeriodError):
        period_from_token("99999999-00000000", date(2026, 11, 27))
    assert (
        Period(date(2021, 1, 1), date(2021, 1, 1) + timedelta(days=MAX_PERIOD_DAYS - 1)).days
        == MAX_PERIOD_DAYS
    )


def test_durations_and_percentiles() -> None:
    assert parse_target_duration("15m") == 15 * M
    assert parse_target_duration("6 jam") == 6 * H
    assert parse_target_duration("0m") is None and parse_target_duration("8d") is None
    assert parse_target_duration("soon") is None
    assert [duration_text(x, "en") for x in (None, 45 * M, 200 * M, 26 * H)] == [
        "–",
        "45 minutes",
        "3 hours 20 minutes",
        "1 day 2 hours",
    ]
    assert [duration_text(x, "id") for x in (0.5 * M, 6 * H, 630 * M, 3 * 24 * H)] == [
        "kurang dari 1 menit",
        "6 jam",
        "10 jam 30 menit",
        "3 hari",
    ]
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
