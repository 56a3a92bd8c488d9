"""Figure 5, recovery: how long after Telegram comes back every queued alert is delivered.

The emulator goes down (no HTTP answer at all, `set_outage("down")`); at once, reports are
filed straight into each bot's database, so their alerts wait in the outbox for the whole
outage and the sender backs off the way it would in production (1, 2, 4 ... 60 s). When the
emulator answers again, the clock runs until the last alert reaches its officer.

The result depends on timing (the sender's backoff, aiogram's polling backoff, when a long
poll returns), so several bot processes (separate databases, their own random jitter) go
through the same outage: one sample each, one outage for all.
"""

from __future__ import annotations

import asyncio
import time

from bench import data
from bench.common import Options, alert_seen_at, wait_until
from bench.harness import (
    TELEGRAM_LIMITS,
    BotConfig,
    BotProcess,
    bot_process,
    running,
    sqlite_database,
    start_emulator,
)
from bench.stats import Figure

REPORTS = 20


async def run(options: Options) -> Figure:
    outage = 10.0 if options.quick else 120.0
    figure = Figure(
        "recovery", f"5. Recovery after a {outage:.0f}-s outage ({REPORTS} alerts queued)"
    )
    emulator = await start_emulator(TELEGRAM_LIMITS)
    members: list[tuple[BotProcess, BotConfig, list[int]]] = []
    for index in range(options.runs):
        config = BotConfig(sqlite_database(options.workdir, f"recovery-{index}"))
        bot = bot_process(
            f"bot-recovery-{index}", emulator, config, options.workdir, 650_001 + index
        )
        officers = list(await data.staffed_database(config, emulator, bot.token))
        members.append((bot, config, officers))
    recoveries: list[float] = []
    first_alerts: list[float] = []
    try:
        async with running(*(bot for bot, _, _ in members)):
            down = time.monotonic()
            emulator.set_outage("down")
            codes = []
            for _, config, _ in members:
                async with data.database(config) as sessions:
                    codes.append(await data.file_reports(config, sessions, REPORTS))
            await asyncio.sleep(max(0.0, outage - (time.monotonic() - down)))
            back = time.monotonic()
            emulator.set_outage(None)
            for (bot, _, officers), bot_codes in zip(members, codes, strict=True):

                def delivered(
                    token: str = bot.token,
                    staff: list[int] = officers,
                    wanted: list[str] = bot_codes,
                ) -> bool:
                    return all(alert_seen_at(emulator, token, staff, c) for c in wanted)

                await wait_until(delivered, 300, f"the alerts of {bot.name}", step=0.1)
                seen = [alert_seen_at(emulator, bot.token, officers, c) or 0.0 for c in bot_codes]
                recoveries.append(max(seen) - back)
                first_alerts.append(min(seen) - back)
    finally:
        await emulator.stop()
    figure.add("Telegram back → every alert delivered", "s", recoveries)
    figure.add("Telegram back → first alert delivered", "s", first_alerts)
    figure.notes.append(
        f"{len(members)} bot processes through one outage, one sample each; the sender probes "
        "as soon as the long poll gets an answer (aiogram retries it every ≤ 5 s and a poll "
        "returns within 10 s), otherwise after its backoff (doubling up to 60 s)"
    )
    figure.raw = {"recoveries": recoveries, "first_alerts": first_alerts, "outage_s": outage}
    return figure
