"""Figure 1, conversation throughput: residents completing full reports concurrently.

Every run, N fresh residents (new user ids) start at once and each walks /start to Kirim,
answering each question as soon as it is on the screen. Measured: updates the bot handled per
second and complete reports (tracking code received) per second, on SQLite and PostgreSQL.
In the same run the same number of echo users send the same mix of updates to a bare aiogram
bot: our updates/s divided by its updates/s is the share of the framework's own ceiling that
the bot keeps, which is far less machine-dependent than either number alone. They also drive
bench/durable_echo_bot.py, the echo bot with only the inbox, the transaction per update and the
outbox our bot must have: its CPU per update is the floor under ours on this machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil

from bench import data
from bench.common import Options, gather_all
from bench.harness import (
    FAST_LIMITS,
    BotConfig,
    BotProcess,
    bot_process,
    durable_echo_process,
    echo_process,
    postgres_database,
    running,
    sqlite_database,
    start_emulator,
)
from bench.resident import REPORT_UPDATES, EchoUser, Resident, places
from bench.stats import Figure, Goal, at_least, at_most, below
from playground.emulator import BotAPIEmulator

USER_BASE = 1_000_000
DURABLE = "durable echo (inbox + outbox, SQLite)"
PACED = "durable echo at our bot's pace (SQLite)"
# bench/unthrottled_bot.py: our bot with its sender's own limits lifted, so residents go as
# fast as it answers, as figure 1 ran when the 8 -> 4 ms target was set (README, "Benchmarks").
LIFTED = "our bot, sender's limits lifted (SQLite)"


@dataclass
class Sample:
    updates: int
    reports: int
    seconds: float
    bot_cpu: float
    bench_cpu: float

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds


async def residents_run(
    emulator: BotAPIEmulator, bot: BotProcess, first_id: int, count: int
) -> Sample:
    people = [Resident(emulator.user(first_id + i, token=bot.token)) for i in range(count)]
    spots = places()
    bot_cpu, bench_cpu = bot.cpu_seconds(), _own_cpu()
    started = time.monotonic()
    with bot.measured():
        codes = await gather_all(
            person.report(spots[i % len(spots)]) for i, person in enumerate(people)
        )
    elapsed = time.monotonic() - started
    return Sample(
        updates=sum(person.updates for person in people),
        reports=len(set(codes)),
        seconds=elapsed,
        bot_cpu=bot.cpu_seconds() - bot_cpu,
        bench_cpu=_own_cpu() - bench_cpu,
    )


async def echo_run(
    emulator: BotAPIEmulator, bot: BotProcess, first_id: int, count: int, rate: float = 0.0
) -> Sample:
    """The echo users as fast as the bot answers; with a `rate`, each pausing before an
    update for as long as makes that many updates a second together (the residents' pace with
    our bot, which is held to a message a second per chat)."""
    people = [EchoUser(emulator.user(first_id + i, token=bot.token)) for i in range(count)]
    # Less the time an answer takes (about a sender's pass spacing, 50 ms).
    think = max(count / rate - 0.05, 0.0) if rate else 0.0
    bot_cpu, bench_cpu = bot.cpu_seconds(), _own_cpu()
    started = time.monotonic()
    with bot.measured():
        await gather_all(
            person.run(REPORT_UPDATES, think=think, seed=i) for i, person in enumerate(people)
        )
    elapsed = time.monotonic() - started
    return Sample(
        updates=sum(person.updates for person in people),
        reports=0,
        seconds=elapsed,
        bot_cpu=bot.cpu_seconds() - bot_cpu,
        bench_cpu=_own_cpu() - bench_cpu,
    )


async def _median_echo_run(
    emulator: BotAPIEmulator, bot: BotProcess, first_id: int, count: int
) -> Sample:
    runs = [
        await echo_run(emulator, bot, first_id + 1_000 * attempt, count) for attempt in range(3)
    ]
    runs.sort(key=lambda sample: sample.seconds)
    return runs[1]


def _speed_and_cpu(
    figure: Figure, label: str, runs: list[Sample], goal: Goal | None = None
) -> None:
    figure.add(f"updates/s, {label}", "", [s.updates_per_second for s in runs])
    figure.add(
        f"bot CPU per update, {label}", "ms", [1000 * s.bot_cpu / s.updates for s in runs], goal
    )


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


async def run(options: Options) -> Figure:
    residents = 20 if options.quick else 50
    figure = Figure("throughput", f"1. Conversation throughput ({residents} residents)")
    emulator = await start_emulator(FAST_LIMITS)
    configs = {"sqlite": BotConfig(sqlite_database(options.workdir, "throughput"))}
    if options.postgres:
        configs["postgresql"] = BotConfig(await postgres_database(options.postgres))
    bots = {
        name: bot_process(f"bot-{name}", emulator, config, options.workdir, 610_001 + index)
        for index, (name, config) in enumerate(configs.items())
    }
    lifted_config = BotConfig(sqlite_database(options.workdir, "throughput-lifted"))
    lifted = bot_process(
        "bot-lifted", emulator, lifted_config, options.workdir, 618_001,
        module="bench.unthrottled_bot",
    )  # fmt: skip
    echo = echo_process("echo", emulator, options.workdir, 619_001)
    durable = durable_echo_process(
        "durable-echo",
        emulator,
        sqlite_database(options.workdir, "durable-echo"),
        options.workdir,
        619_002,
    )
    echoes = {"echo": echo, "durable": durable}
    lead = next(iter(bots))
    for name, bot in bots.items():
        # Reports are routed to an on-duty officer of their kelurahan, as in production.
        await data.staffed_database(configs[name], emulator, bot.token)
    await data.staffed_database(lifted_config, emulator, lifted.token)
    samples: dict[str, list[Sample]] = {name: [] for name in [*bots, *echoes, "paced", "lifted"]}
    try:
        async with running(*bots.values(), lifted, *echoes.values()):
            # Warm-up: first-use costs (imports, statement caches, connections) are not
            # what a busy bot pays per update.
            for bot in [*bots.values(), lifted]:
                await residents_run(emulator, bot, USER_BASE - 100, 3)
            for bot in echoes.values():
                await echo_run(emulator, bot, USER_BASE - 100, 3)
            for index in range(options.runs):
                first = USER_BASE + index * 10_000
                for name, bot in bots.items():
                    samples[name].append(await residents_run(emulator, bot, first, residents))
                # The echo bots are through in a few seconds: the median of three such runs
                # is a steadier baseline on a busy machine.
                for name, bot in echoes.items():
                    samples[name].append(await _median_echo_run(emulator, bot, first, residents))
                # Per update, a bot paced by its chats' limits pays for each wake-up what a
                # busy one shares among several updates: the floor at the same pace is what
                # our bot's CPU per update compares with.
                pace = samples[lead][-1].updates_per_second
                samples["paced"].append(
                    await echo_run(emulator, durable, first + 5_000, residents, rate=pace)
                )
                samples["lifted"].append(
                    await residents_run(emulator, lifted, first + 7_000, residents)
                )
    finally:
        await emulator.stop()
        for config in [*configs.values(), lifted_config]:
            await config.database.drop()

    for name in bots:
        runs = samples[name]
        figure.add(f"updates/s, {name}", "", [s.updates_per_second for s in runs])
        figure.add(f"reports/s, {name}", "", [s.reports_per_second for s in runs])
        figure.add(
            f"bot CPU per update, {name}",
            "ms",
            [1000 * s.bot_cpu / s.updates for s in runs],
        )
        ratios = [
            ours.updates_per_second / base.updates_per_second
            for ours, base in zip(runs, samples["echo"], strict=True)
        ]
        figure.add(f"ratio to bare aiogram, {name}", "", ratios, at_least(0.5))
        cpu_ratios = [
            (base.bot_cpu / base.updates) / (ours.bot_cpu / ours.updates)
            for ours, base in zip(runs, samples["echo"], strict=True)
        ]
        figure.add(f"CPU per update, bare aiogram ÷ ours, {name}", "", cpu_ratios)
    _speed_and_cpu(figure, "bare aiogram echo bot", samples["echo"])
    _speed_and_cpu(figure, DURABLE, samples["durable"])
    paced_runs = samples["paced"]
    _speed_and_cpu(figure, PACED, paced_runs)
    # The issue's own measure: 8 ms per update when it was set, the floor then the durable
    # echo bot at full speed (above).
    _speed_and_cpu(figure, LIFTED, samples["lifted"], at_most(4.0, " ms"))
    figure.add(
        f"bot CPU per update above that floor, {lead}",
        "ms",
        [
            1000 * (ours.bot_cpu / ours.updates - floor.bot_cpu / floor.updates)
            for ours, floor in zip(samples[lead], paced_runs, strict=True)
        ],
        # What the bot's own work adds, halved: about 7 ms when the target was set (README,
        # "Benchmarks"), when a bare echo bot was its floor.
        below(3.5, " ms"),
    )
    figure.notes.append(
        f"{residents} residents at once, {len(REPORT_UPDATES)} updates each (/start to Kirim); "
        "emulator per-chat and global flood limits raised (residents tap as fast as the bot "
        "answers, far faster than people)"
    )
    figure.raw = {name: [vars(s) for s in runs] for name, runs in samples.items()}
    return figure
