"""Figure 2, alert latency: from the resident's Kirim to the officer's alert.

N residents (one per kelurahan in turn, one officer on duty in each) walk to the summary, then
all press Kirim at the same moment. Latency is measured inside the bench process on one clock
(time.monotonic()): from the moment the callback update is enqueued at the emulator to the
moment the emulator receives the sendMessage that carries the report's code to the officer.
Twice: with the bot otherwise idle, and while it sends a 10,000-recipient broadcast. Then, in
a bot of its own with a year of cases (20,000), reports one after another while a coordinator
exports that year as XLSX: the heaviest thing staff can ask of the bot.

Telegram's flood limits stay on for the Kirim bursts (RateLimits()): alerts share the
bot-wide ~30 messages/s with the residents' confirmations and, in the second case, with the
broadcast. Walking to the summary happens beforehand with raised limits (it is not measured).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta

from bench import data
from bench.common import Options, alert_seen_at, gather_all, wait_until
from bench.harness import (
    COORDINATOR_ID,
    FAST_LIMITS,
    TELEGRAM_LIMITS,
    BotConfig,
    BotProcess,
    bot_process,
    running,
    sqlite_database,
    start_emulator,
)
from bench.resident import Resident, places
from bench.stats import Figure, below, percentile
from playground.emulator import BotAPIEmulator, RateLimits

USER_BASE = 2_000_000
RECIPIENT_BASE = 3_000_000
XLSX = "Excel (XLSX)"
CASES = 20_000


async def prepare_residents(
    emulator: BotAPIEmulator, bot: BotProcess, first_id: int, count: int
) -> list[Resident]:
    """Residents on the summary screen, Kirim not pressed yet."""
    people = [Resident(emulator.user(first_id + i, token=bot.token)) for i in range(count)]
    spots = places()
    emulator.rate_limits = FAST_LIMITS
    await gather_all(
        person.walk_to_summary(spots[i % len(spots)]) for i, person in enumerate(people)
    )
    return people


async def kirim_burst(
    emulator: BotAPIEmulator,
    bot: BotProcess,
    officers: list[int],
    people: list[Resident],
    limits: RateLimits = TELEGRAM_LIMITS,
) -> list[float]:
    """Everyone presses Kirim at once; seconds from each press to its officer's alert."""
    emulator.rate_limits = limits
    # Let the flood-control windows of the walk-through run out first.
    await asyncio.sleep(1.5)
    with bot.measured():
        sent = await gather_all(person.send() for person in people)
        latencies: dict[str, float] = {}

        def all_alerted() -> bool:
            for code, pressed_at in sent:
                if code not in latencies:
                    seen = alert_seen_at(emulator, bot.token, officers, code)
                    if seen is not None:
                        latencies[code] = seen - pressed_at
            return len(latencies) == len(sent)

        await wait_until(all_alerted, 120, "every alert", step=0.05)
    return list(latencies.values())


async def kirim_one_by_one(
    emulator: BotAPIEmulator, bot: BotProcess, officers: list[int], people: list[Resident]
) -> list[float]:
    """Kirim one resident at a time, a second apart: the reports of an ordinary hour."""
    latencies: list[float] = []
    with bot.measured():
        for person in people:
            code, pressed_at = await person.send()
            await wait_until(_alerted(emulator, bot, officers, code), 60, "the alert")
            # The emulator's own stamp of the alert, not when this loop noticed it.
            seen = alert_seen_at(emulator, bot.token, officers, code)
            assert seen is not None
            latencies.append(seen - pressed_at)
            await asyncio.sleep(1.0)
    return latencies


async def bursts_during_broadcast(
    emulator: BotAPIEmulator,
    config: BotConfig,
    bot: BotProcess,
    officers: list[int],
    waiting: list[list[Resident]],
    ids: range,
) -> list[list[float]]:
    """Start a broadcast to `ids`, then one Kirim burst per group of waiting residents."""
    await start_broadcast(emulator, config, bot, ids)
    latencies: list[list[float]] = []
    for people in waiting:
        latencies.append(await kirim_burst(emulator, bot, officers, people))
        await asyncio.sleep(2)
    return latencies


async def start_broadcast(
    emulator: BotAPIEmulator, config: BotConfig, bot: BotProcess, ids: range
) -> None:
    """A broadcast to `ids`, running at its full rate when this returns."""
    emulator.rate_limits = TELEGRAM_LIMITS
    async with data.database(config) as sessions:
        await data.add_residents(sessions, ids, subscribed=True)
        data.register_people(emulator, bot.token, ids)
        await data.enqueue_broadcast(sessions, emulator, bot.token, ids)
    copies = emulator.stats.for_token(bot.token)
    start = copies["sent"]
    # In full flow: wait until it runs at its rate (the sender claims in passes).
    await wait_until(lambda: copies["sent"] - start >= 100, 120, "the broadcast")


async def kirim_during_export(
    emulator: BotAPIEmulator, bot: BotProcess, officers: list[int], people: list[Resident]
) -> list[float]:
    """The coordinator asks for a year's cases as XLSX; the residents press Kirim 0.3 s
    apart from the moment the button is pressed."""
    emulator.rate_limits = TELEGRAM_LIMITS
    await asyncio.sleep(1.5)
    coordinator = emulator.user(COORDINATOR_ID, "Koordinator", token=bot.token)
    today = date.today()
    await coordinator.send_command(
        f"/ekspor {today - timedelta(days=364):%d-%m-%Y} {today:%d-%m-%Y}"
    )
    await coordinator.wait_for(predicate=lambda m: m.button(XLSX) is not None, timeout=30)
    files = len(emulator.calls_of("sendDocument", token=bot.token))
    with bot.measured():
        await coordinator.press(XLSX, timeout=30)
        pressing: list[asyncio.Task[tuple[str, float]]] = []
        for person in people:
            pressing.append(asyncio.create_task(person.send()))
            await asyncio.sleep(0.3)
        sent = await asyncio.gather(*pressing)
        for code, _pressed_at in sent:
            await wait_until(_alerted(emulator, bot, officers, code), 60, "the alert")
    await wait_until(
        lambda: len(emulator.calls_of("sendDocument", token=bot.token)) > files, 120, "the file"
    )
    latencies = []
    for code, pressed_at in sent:
        seen = alert_seen_at(emulator, bot.token, officers, code)
        assert seen is not None
        latencies.append(seen - pressed_at)
    return latencies


def _alerted(
    emulator: BotAPIEmulator, bot: BotProcess, officers: list[int], code: str
) -> Callable[[], bool]:
    return lambda: alert_seen_at(emulator, bot.token, officers, code) is not None


async def run(options: Options) -> Figure:
    count = 20 if options.quick else 50
    recipients = 2_000 if options.quick else 10_000
    figure = Figure("latency", f"2. Alert latency ({count} reports at once, SQLite)")
    emulator = await start_emulator(FAST_LIMITS)
    config = BotConfig(sqlite_database(options.workdir, "latency"))
    bot = bot_process("bot-latency", emulator, config, options.workdir, 620_001)
    officers = list(await data.staffed_database(config, emulator, bot.token))
    idle: list[list[float]] = []
    unlimited: list[list[float]] = []
    busy: list[list[float]] = []
    single: list[list[float]] = []
    singles = 10 if options.quick else 20
    broadcast_sent = 0
    # The same bursts with no flood limit anywhere, neither at the emulator nor in the sender:
    # what the bot's own work costs (a bot process of its own, see bench.unthrottled_bot).
    free_config = BotConfig(sqlite_database(options.workdir, "latency-unthrottled"))
    free_bot = bot_process(
        "bot-unthrottled",
        emulator,
        free_config,
        options.workdir,
        620_002,
        module="bench.unthrottled_bot",
    )
    free_officers = list(await data.staffed_database(free_config, emulator, free_bot.token))
    paid_config = BotConfig(
        sqlite_database(options.workdir, "latency-paid"),
        extra_env={"ALERT_PAID_BROADCAST": "true"},
    )
    paid_bot = bot_process("bot-paid", emulator, paid_config, options.workdir, 620_003)
    paid_officers = list(await data.staffed_database(paid_config, emulator, paid_bot.token))
    paid_idle: list[list[float]] = []
    paid_busy: list[list[float]] = []
    paid_messages = 0
    export_config = BotConfig(sqlite_database(options.workdir, "latency-export"))
    export_bot = bot_process("bot-export", emulator, export_config, options.workdir, 620_004)
    export_areas = await data.staffed_database(export_config, emulator, export_bot.token)
    cases = 2_000 if options.quick else CASES
    async with data.database(export_config) as sessions:
        await data.add_cases(sessions, cases, export_areas)
    during_export: list[list[float]] = []
    try:
        async with running(free_bot):
            for index in range(options.runs):
                people = await prepare_residents(
                    emulator, free_bot, USER_BASE + (20 + index) * 1_000, count
                )
                unlimited.append(
                    await kirim_burst(emulator, free_bot, free_officers, people, FAST_LIMITS)
                )
        async with running(bot):
            for index in range(options.runs):
                people = await prepare_residents(emulator, bot, USER_BASE + index * 1_000, count)
                idle.append(await kirim_burst(emulator, bot, officers, people))
            # Residents for the broadcast runs wait on their summary before it starts, so the
            # broadcast meets nothing but the Kirim bursts.
            waiting = [
                await prepare_residents(emulator, bot, USER_BASE + (10 + index) * 1_000, count)
                for index in range(options.runs)
            ]
            alone = [
                await prepare_residents(emulator, bot, USER_BASE + (30 + index) * 1_000, singles)
                for index in range(options.runs)
            ]
            ids = range(RECIPIENT_BASE, RECIPIENT_BASE + recipients)
            busy = await bursts_during_broadcast(emulator, config, bot, officers, waiting, ids)
            for people in alone:
                single.append(await kirim_one_by_one(emulator, bot, officers, people))
            broadcast_sent = len(emulator.calls_of("copyMessage", token=bot.token))
        # ALERT_PAID_BROADCAST: alerts over the free limit go as paid broadcasts.
        async with running(paid_bot):
            for index in range(options.runs):
                people = await prepare_residents(
                    emulator, paid_bot, USER_BASE + (40 + index) * 1_000, count
                )
                paid_idle.append(await kirim_burst(emulator, paid_bot, paid_officers, people))
            waiting = [
                await prepare_residents(emulator, paid_bot, USER_BASE + (50 + index) * 1_000, count)
                for index in range(options.runs)
            ]
            ids = range(RECIPIENT_BASE, RECIPIENT_BASE + recipients)
            paid_busy = await bursts_during_broadcast(
                emulator, paid_config, paid_bot, paid_officers, waiting, ids
            )
            paid_messages = emulator.stats.for_token(paid_bot.token)["paid"]
        async with running(export_bot):
            for index in range(options.runs):
                people = await prepare_residents(
                    emulator, export_bot, USER_BASE + (60 + index) * 1_000, singles // 2
                )
                during_export.append(
                    await kirim_during_export(emulator, export_bot, list(export_areas), people)
                )
    finally:
        await emulator.stop()

    variants = (
        ("idle", idle),
        (f"during a {recipients:,}-recipient broadcast", busy),
        ("idle, no flood limits (emulator and sender)", unlimited),
        ("idle, alerts over the limit as paid broadcasts", paid_idle),
        ("during the broadcast, alerts over the limit as paid broadcasts", paid_busy),
        (f"one report at a time during the broadcast ({singles}, 1 s apart)", single),
        (
            f"reports 0.3 s apart during a year's XLSX export ({cases:,} cases, "
            f"{singles // 2} reports)",
            during_export,
        ),
    )
    for label, runs in variants:
        figure.add(f"p50, {label}", "s", [percentile(run, 50) for run in runs])
        goal = below(1.0, " s") if runs is not unlimited else None
        figure.add(f"p99, {label}", "s", [percentile(run, 99) for run in runs], goal)
        figure.add(f"max, {label}", "s", [max(run) for run in runs])
    kelurahan = min(count, len(places()))
    floor = (
        "; more than the 30 in any 1.05 s the sender allows, so the last leave a second "
        "after the first"
    )
    figure.notes.append(
        "Telegram's flood limits on during the bursts (30 messages/s per bot, ~1/s per chat "
        "after a burst of 3) except in the no-limits case, where the sender's own budget is "
        f"lifted too (bench.unthrottled_bot). {count} reports in {kelurahan} "
        f"kelurahan: {count} alert messages to {kelurahan} officers"
        + (floor if count > 30 else "")
        + "; on SQLite the Kirims also commit one after another"
    )
    figure.notes.append(
        "Paid broadcasts: the same bursts with ALERT_PAID_BROADCAST=true and Telegram's limits "
        "on; alerts that find the bot-wide 30 a second used up go at once with "
        f"allow_paid_broadcast (0.1 Telegram Stars each): {paid_messages} paid messages in "
        f"{2 * options.runs} bursts of {count}"
    )
    figure.raw = {
        "idle": idle,
        "during_broadcast": busy,
        "idle_limits_lifted": unlimited,
        "idle_paid_alerts": paid_idle,
        "during_broadcast_paid_alerts": paid_busy,
        "paid_messages": paid_messages,
        "during_export": during_export,
        "emulator_429": emulator.stats.for_token(bot.token)["429"],
        "broadcast_copies_during_runs": broadcast_sent,
    }
    return figure
