"""Figure 4, footprint: memory, start-up time and database size with a city's worth of data.

The SQLite database gets 100,000 residents (all subscribed) and 20,000 cases of the past year
with what a handled case leaves behind (alert, outbox row, delivery attempt, audit trail,
status change, escalation job), in bulk through the model types (encrypted as the bot would).
Then, several times: start the bot (start-up = process start to its first getUpdates at the
emulator), let residents file reports, an officer list cases and a coordinator ask for the
year's statistics, and read the process's resident memory. Database size per 1,000 reports is
measured for the bulk cases and for reports made through the whole conversation (which also
keep the message ids /hapus needs for 48 hours), the latter as the runs leave the file and
again after what the night's housekeeping does to it (storage/compaction.py), whose duration
(writers wait meanwhile) is a row too. Each run starts from a compacted file.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bench import data
from bench.common import Options, gather_all
from bench.harness import (
    COORDINATOR_ID,
    FAST_LIMITS,
    BotConfig,
    bot_process,
    echo_process,
    running,
    sqlite_database,
    start_emulator,
)
from bench.resident import Resident, places
from bench.stats import Figure, below
from playground.emulator import BotAPIEmulator
from storage.compaction import Compaction, compact
from storage.models import utcnow

RESIDENT_BASE = 5_000_000
REPORTER_BASE = 6_000_000
MB = 1024 * 1024


async def exercise(
    emulator: BotAPIEmulator, token: str, first_id: int, reporters: int, officer: int
) -> int:
    """What a busy hour asks of the bot; returns the reports made."""
    people = [Resident(emulator.user(first_id + i, token=token)) for i in range(reporters)]
    spots = places()
    codes = await gather_all(
        person.report(spots[i % len(spots)]) for i, person in enumerate(people)
    )
    today = utcnow()
    year_ago = today - timedelta(days=365)
    coordinator = emulator.user(COORDINATOR_ID, token=token)
    for user, command, args in (
        (emulator.user(officer, token=token), "/kasus", None),
        (coordinator, "/statistik", f"{year_ago:%d-%m-%Y} {today:%d-%m-%Y}"),
    ):
        await user.send_command(command, args)
        # Whatever the answer is (a list, the figures, a hint): the work behind it is done.
        await user.wait_for(timeout=120)
        if command == "/statistik":
            # And its two charts, sent after the text: drawing them is part of the work.
            for _chart in range(2):
                await user.wait_for(timeout=120, predicate=lambda m: m.kind == "photo")
        await asyncio.sleep(1)
    return len(codes)


async def _compact(config: BotConfig) -> Compaction:
    """What the night's housekeeping does to the file (storage/compaction.py)."""
    async with data.database(config) as sessions:
        done = await compact(sessions)
    assert done is not None  # a SQLite file
    return done


async def run(options: Options) -> Figure:
    users = 20_000 if options.quick else 100_000
    cases = 4_000 if options.quick else 20_000
    reporters = 20 if options.quick else 50
    figure = Figure("footprint", f"4. Footprint ({users:,} users, {cases:,} cases, SQLite)")
    emulator = await start_emulator(FAST_LIMITS)
    config = BotConfig(sqlite_database(options.workdir, "footprint"))
    bots = [
        bot_process(f"bot-footprint-{i}", emulator, config, options.workdir, 640_001 + i)
        for i in range(options.runs)
    ]
    officers = await data.staffed_database(config, emulator, bots[0].token)
    for bot in bots[1:]:
        data.register_people(emulator, bot.token, officers)
    database = config.database
    startup: list[float] = []
    rss_started: list[float] = []
    rss_busy: list[float] = []
    rss_peak: list[float] = []
    flow_bytes: list[float] = []
    compacted_bytes: list[float] = []
    compaction_seconds: list[float] = []
    echo_rss = 0.0
    try:
        async with data.database(config) as sessions:
            ids = range(RESIDENT_BASE, RESIDENT_BASE + users)
            await data.add_residents(sessions, ids, subscribed=True)
            before_cases = database.size_bytes()
            await data.add_cases(sessions, cases, officers)
        after_cases = database.size_bytes()
        # Each run starts from a compacted file, as after a night's housekeeping.
        compacted = (await _compact(config)).bytes_after
        for index, bot in enumerate(bots):
            size = database.size_bytes()
            async with running(bot):
                startup.append(bot.startup_seconds)
                await asyncio.sleep(2)  # the first scheduler ticks, the sender's first pass
                rss_started.append(bot.rss_bytes() / MB)
                made = await exercise(
                    emulator,
                    bot.token,
                    REPORTER_BASE + index * 1_000,
                    reporters,
                    next(iter(officers)),
                )
                rss_busy.append(bot.rss_bytes() / MB)
                rss_peak.append((bot.peak_rss_bytes() or bot.rss_bytes()) / MB)
            flow_bytes.append((database.size_bytes() - size) / made * 1000 / MB)
            night = await _compact(config)
            compaction_seconds.append(night.seconds)
            compacted_bytes.append((night.bytes_after - compacted) / made * 1000 / MB)
            compacted = night.bytes_after
        # A bare aiogram bot, after the same few seconds: importing aiogram builds the pydantic
        # schemas of every Telegram type (the bot defers them: bot/deferred_schemas.py).
        echo = echo_process("echo-footprint", emulator, options.workdir, 649_001)
        async with running(echo):
            await asyncio.sleep(2)
            echo_rss = echo.rss_bytes() / MB
    finally:
        await emulator.stop()
    figure.add("RSS after start-up", "MB", rss_started)
    figure.add(
        "RSS of a bare aiogram echo bot (all type schemas built at import)", "MB", [echo_rss]
    )
    figure.add("RSS after reports, /kasus, /statistik", "MB", rss_busy, below(200, " MB"))
    figure.add("peak RSS (VmHWM)", "MB", rss_peak, below(200, " MB"))
    figure.add("start-up: process start → first getUpdates", "s", startup)
    figure.add(
        "database per 1,000 cases (bulk, with alerts and audit trail)",
        "MB",
        [(after_cases - before_cases) / cases * 1000 / MB],
    )
    figure.add("database per 1,000 reports through the conversation", "MB", flow_bytes)
    figure.add(
        "database per 1,000 reports through the conversation, after the night's compaction",
        "MB",
        compacted_bytes,
    )
    figure.add(
        "the night's compaction of the whole file (writers wait meanwhile)", "s", compaction_seconds
    )
    figure.add("database file", "MB", [after_cases / MB], note="before the runs' reports")
    figure.notes.append(
        f"{reporters} residents reporting at once, then /kasus (officer) and /statistik for the "
        "past year (coordinator), before reading RSS"
    )
    figure.raw = {
        "database_bytes_before_cases": before_cases,
        "database_bytes_after_cases": after_cases,
    }
    return figure
