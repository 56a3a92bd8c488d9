"""Nobody holding the database file (WAL and free pages too), a pg_dump or the logs, but not
DATA_KEY, can find a resident: not their Telegram id, username, name or phone.

Residents go through every path that stores something about them: an anonymous report
without contact, one with contact (relays both ways, a status notice, a follow-up answered),
a named report with a shared phone, someone who only looks around, a subscriber who gets a
broadcast, /hapus, /hapusdata, a half-written draft, and RETENTION. Then every table cell,
the raw SQLite file and its -wal (or a pg_dump of PostgreSQL) and the log at the default
level are searched for each of them. Staff may appear in clear, and do: the same searches
find the officer and the coordinator, which shows that they would find a resident too.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.logging_setup import configure_logging
from playground.emulator import BotAPIEmulator, SimulatedUser
from services.clock import ManualClock
from services.retention import anonymise_closed_cases, forget_what_expired
from storage.crypto import PSEUDONYM_FLOOR
from storage.models import Subscription, User
from tests.cases.staffing import add_officer, tap
from tests.conversations.resident import Resident
from tests.fixtures.bot import RunningBot, make_settings, start_bot
from tests.fixtures.clock import advance
from tests.followups.conftest import START
from tests.followups.helpers import CONTACTED, HELLO, OPEN, open_notice, shown
from tests.staff.people import Person

# Large ids, as Telegram's are today: SQLite stores them as 6-byte integers, which the raw
# search below looks for as well as their digits.
OFFICER = 7_400_000_011
COORDINATOR = 7_400_000_001
FIRST_RESIDENT = 7_345_600_001


@dataclass(frozen=True)
class Someone:
    id: int
    first_name: str
    last_name: str
    username: str
    phone: str

    def words(self) -> list[str]:
        return [str(self.id), self.first_name, self.last_name, self.username, self.phone[1:]]


def resident_number(n: int) -> Someone:
    names = ["Wulandari", "Kartikasari", "Puspitasari", "Anggraeni", "Lestariningsih",
             "Rahmawatiningrum", "Sekarwangi", "Damayantika"]  # fmt: skip
    return Someone(
        id=FIRST_RESIDENT + n,
        first_name=names[n],
        last_name=f"Binti{names[n][:4]}Zq",
        username=f"rahasia_{names[n].lower()}_{n}",
        phone=f"+6281299{n:03d}{n:04d}",
    )


RESIDENTS = [resident_number(n) for n in range(8)]
STAFF = [
    Someone(OFFICER, "Rinaldiatika", "Petugas", "rina_petugas_pky", "+628111000011"),
    Someone(COORDINATOR, "Andiwarsito", "Koordinator", "andi_koord_pky", "+628111000001"),
]


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What an operator's log holds at the default level (LOG_LEVEL=INFO), formatted as the
    bot formats it; the test's own logging is put back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in ("apscheduler", "aiogram.event")}
    stream = io.StringIO()
    configure_logging("INFO", "text", stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
async def running(
    emulator: BotAPIEmulator, database_url: str, log_lines: io.StringIO
) -> AsyncIterator[tuple[RunningBot, ManualClock]]:
    clock = ManualClock(START)
    settings: Settings = make_settings(
        emulator,
        database_url,
        coordinator_ids=[COORDINATOR],
        followup_after=timedelta(hours=2),
        job_tick=timedelta(milliseconds=100),
    )
    running = await start_bot(settings, emulator, clock=clock)
    try:
        yield running, clock
    finally:
        await running.stop()


def person(emulator: BotAPIEmulator, who: Someone) -> SimulatedUser:
    return emulator.user(
        who.id,
        who.first_name,
        who.last_name,
        who.username,
        "id",
        phone_number=who.phone,
    )


async def report(resident: Resident, *, consent: bool, named: bool = False) -> str:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga memukul anaknya setiap malam.")
    if not named:
        await resident.finish_anonymously(consent=consent)
        return await resident.send()
    await resident.press("Skip ➡️")
    await resident.press("🙋 With my name")
    await resident.expect("<b>What is your name?</b>\nType it below.")
    await resident.user.send_text(f"{resident.user.info.first_name} {resident.user.info.last_name}")
    await resident.tap_reply("📱 Share my phone number")
    await resident.expect("✓ Phone number saved.")
    await resident.press("Yes, write to me here" if consent else "No")
    await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    return await resident.send()


async def take(officer: SimulatedUser, code: str) -> None:
    alert = await officer.wait_for(code)
    await tap(officer, f"✅ Terima {code}", alert)
    await officer.wait_for("Ditangani")


async def everyone_uses_the_bot(
    emulator: BotAPIEmulator, bot: RunningBot, clock: ManualClock
) -> None:
    await add_officer(bot.service, OFFICER, "Kalampangan", name="Bu Rina")
    rina = person(emulator, STAFF[0])
    people = [Resident(person(emulator, who), "id") for who in RESIDENTS]
    anonymous, contact, named, looker, subscriber, wiper, eraser, drafter = people

    await report(anonymous, consent=False)

    code = await report(contact, consent=True)
    await take(rina, code)
    await tap(rina, "🛠 Ditangani")
    await open_notice(contact.user, "Sedang ditangani", "id")
    await tap(rina, "💬 Hubungi pelapor")
    await rina.wait_for("Tulis pesan")
    await rina.send_text("Apakah Anda aman?")
    relayed = await open_notice(contact.user, "Apakah Anda aman?", "id")
    await tap(contact.user, "↩️ Balas", relayed)
    await contact.user.wait_for("Tulis jawaban")
    await contact.user.send_text("Saya aman sekarang.")
    await rina.wait_for("Saya aman sekarang")

    named_code = await report(named, consent=True, named=True)
    await take(rina, named_code)
    await tap(rina, "✔️ Selesai")
    await tap(rina, "Ditangani dan tuntas")
    await open_notice(named.user, "Selesai", "id")

    await looker.start()
    await looker.user.send_command("/bantuan")
    await looker.user.send_command("/darurat")
    await looker.user.send_command("/status", "LA-AAAA-AAAA")
    await looker.user.send_command("/siaran")  # refused, and the refusal is audited
    await looker.user.wait_idle()

    await subscriber.start()
    await subscriber.user.send_command("/langganan")
    await subscriber.press("🏙 City-wide only")
    await subscriber.user.wait_idle()
    coordinator = Person(person(emulator, STAFF[1]))
    await coordinator.user.send_command("/bahasa")
    await coordinator.press("🇬🇧 English")
    await coordinator.user.wait_for("Language changed to English.")
    await coordinator.command("/siaran", expect="New broadcast")
    await coordinator.user.send_text("Kenali tanda kekerasan pada anak.")
    await coordinator.press("👥 All subscribers (1)")
    await coordinator.press("📤 Send now")
    await subscriber.user.wait_for("Kenali tanda kekerasan pada anak.")

    await report(wiper, consent=True)
    await wiper.user.send_command("/hapus")
    await wiper.press("🧹 Yes, delete them")
    await wiper.user.wait_for("48")

    await report(eraser, consent=True)
    await eraser.user.send_command("/hapusdata")
    await eraser.press("🗑 Yes, erase my data")
    await eraser.user.wait_for("(1")

    await drafter.start()
    await drafter.begin_report()
    await drafter.answer_until_description()

    # The first check-in, answered.
    await advance(bot, clock, timedelta(hours=2, minutes=1))
    hello = await contact.user.wait_for(shown("id", HELLO))
    await tap(contact.user, shown("id", OPEN), hello)
    await tap(contact.user, shown("id", CONTACTED))
    await contact.user.wait_idle()
    for user in (rina, coordinator.user, *(p.user for p in people)):
        await user.wait_idle()

    # A year on: the closed case is anonymised, and what only lives a while has expired.
    later = clock.now() + timedelta(days=400)
    sessions = bot.service.session_factory
    await anonymise_closed_cases(sessions, now=later, retention=timedelta(days=365))
    await forget_what_expired(
        sessions, now=later, draft_ttl=timedelta(days=7), lookup_window=timedelta(minutes=15)
    )


# --- where a thief would look -----------------------------------------------------------------


def needles(who: Someone) -> list[bytes]:
    """What would give someone away: their words, and their id as SQLite stores an integer."""
    found = [word.encode() for word in who.words()]
    return [*found, who.id.to_bytes(6, "big"), who.id.to_bytes(8, "big")]


def findings(haystack: bytes, people: list[Someone]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for who in people:
        for needle in needles(who):
            if needle in haystack:
                hits.setdefault(who.username, []).append(repr(needle))
    return hits


async def every_cell(bot: RunningBot) -> bytes:
    """Every value of every table, as text (JSON and keys included)."""
    metadata = MetaData()
    cells: list[str] = []
    async with bot.service.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                cells.extend(str(value) for value in row)
    return "\n".join(cells).encode()


def raw_files(database_url: str) -> bytes:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        wal = path.with_name(path.name + "-wal")
        assert path.exists()
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    return pg_dump(database_url)


def pg_dump(database_url: str) -> bytes:
    url = make_url(database_url)
    binary = shutil.which("pg_dump") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None
    )
    if binary is None:
        pytest.fail("pg_dump is needed to check a PostgreSQL dump (install postgresql-client)")
    environment = {**os.environ, "PGPASSWORD": url.password or ""}
    command = [str(binary), "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
               "-U", url.username or "postgres", "-d", url.database or ""]  # fmt: skip
    return subprocess.run(command, capture_output=True, check=True, env=environment).stdout


async def test_no_resident_can_be_found_at_rest_or_in_the_logs(
    running: tuple[RunningBot, ManualClock],
    emulator: BotAPIEmulator,
    database_url: str,
    log_lines: io.StringIO,
) -> None:
    bot, clock = running
    await everyone_uses_the_bot(emulator, bot, clock)
    # Read while the bot runs: the WAL still holds every page written since the last
    # checkpoint, older versions of rows included.
    files = await asyncio.to_thread(raw_files, database_url)
    cells = await every_cell(bot)
    logs = log_lines.getvalue().encode()

    assert findings(cells, RESIDENTS) == {}, "a table names a resident"
    assert findings(files, RESIDENTS) == {}, "the database file names a resident"
    assert findings(logs, RESIDENTS) == {}, "the log names a resident"
    # The same searches find the staff, who may appear in clear (their id in the tables, the
    # file and the log): they would have found a resident too.
    for haystack in (cells, files):
        assert set(findings(haystack, STAFF)) == {"rina_petugas_pky", "andi_koord_pky"}
    assert str(OFFICER).encode() in logs  # "outbox … kind=alert … to=<officer>: sent"
    assert await residents_times_are_days(bot)


async def residents_times_are_days(bot: RunningBot) -> bool:
    """No time of a resident's row finer than the day: beside a report's creation time, a
    time to the second would tell whose report it is."""
    async with bot.service.session_factory() as session:
        rows = list(await session.scalars(select(User).where(User.id >= PSEUDONYM_FLOOR)))
        subscriptions = list(await session.scalars(select(Subscription)))
    times = [t for u in rows for t in (u.created_at, u.consented_at, u.unreachable_at) if t]
    times += [s.subscribed_at for s in subscriptions]
    assert len(rows) >= 5 and times
    return all((t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0) for t in times)
