"""Figure 3, broadcast efficiency: a broadcast to N subscribers with nothing else going on.

The recipients and the outbox rows are written straight into the database (as the broadcast
feature queues them: one copyMessage row per recipient, dedupe key broadcast:<id>:<user>),
then the bot's sender delivers them under Telegram's limits (RateLimits() in the emulator).
Measured at the emulator: the send rate over the whole broadcast as a fraction of
BROADCAST_RATE, recipients who got it twice or never, and 429 answers.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter

from sqlalchemy import func, select

from bench import data
from bench.common import Options, wait_until
from bench.harness import (
    TELEGRAM_LIMITS,
    BotConfig,
    bot_process,
    running,
    sqlite_database,
    start_emulator,
)
from bench.stats import Figure, at_least, exactly
from services.outbox import Lane
from storage.models import OutboxMessage

RECIPIENT_BASE = 4_000_000
RATE = 25.0
WINDOWS = 5


async def run(options: Options) -> Figure:
    recipients = 1_000 if options.quick else 10_000
    figure = Figure("broadcast", f"3. Broadcast efficiency ({recipients:,} recipients)")
    emulator = await start_emulator(TELEGRAM_LIMITS)
    config = BotConfig(sqlite_database(options.workdir, "broadcast"), broadcast_rate=RATE)
    bot = bot_process("bot-broadcast", emulator, config, options.workdir, 630_001)
    await data.staffed_database(config, emulator, bot.token)
    ids = range(RECIPIENT_BASE, RECIPIENT_BASE + recipients)
    pending = -1
    try:
        async with data.database(config) as sessions:
            await data.add_residents(sessions, ids, subscribed=True)
            data.register_people(emulator, bot.token, ids)
            await data.enqueue_broadcast(sessions, emulator, bot.token, ids)
        async with running(bot):
            delivered: Counter[int] = Counter()
            seen = 0

            def everyone_has_it() -> bool:
                nonlocal seen
                calls = emulator.calls
                for call in calls[seen:]:
                    if call.token == bot.token and call.method == "copyMessage" and call.ok:
                        delivered[int(call.params["chat_id"])] += 1
                seen = len(calls)
                return len(delivered) >= recipients

            with bot.measured():
                patience = recipients / RATE * 2 + 60
                await wait_until(everyone_has_it, patience, "every recipient", step=0.5)
            # A duplicate would come after everyone has one: give the sender time to err.
            await asyncio.sleep(3)
            everyone_has_it()
            async with data.database(config) as sessions, sessions() as session:
                pending = int(
                    await session.scalar(
                        select(func.count()).where(
                            OutboxMessage.lane == Lane.BROADCAST, OutboxMessage.status != "sent"
                        )
                    )
                    or 0
                )
    finally:
        await emulator.stop()

    sends = sorted(
        call.at
        for call in emulator.calls
        if call.token == bot.token and call.method == "copyMessage" and call.ok
    )
    rates = _window_rates(sends)
    overall = (len(sends) - 1) / (sends[-1] - sends[0]) if len(sends) > 1 else 0.0
    figure.add(
        "send rate / BROADCAST_RATE",
        "",
        [overall / RATE],
        at_least(0.9),
        note=f"{WINDOWS} windows: {', '.join(f'{r / RATE:.2f}' for r in rates)}",
    )
    figure.add("send rate", "msg/s", [overall], note=f"BROADCAST_RATE={RATE:g}")
    figure.add("duplicates", "", [sum(n - 1 for n in delivered.values() if n > 1)], exactly(0))
    figure.add("losses", "", [recipients - len(delivered)], exactly(0))
    figure.add("429 answers", "", [emulator.stats.for_token(bot.token)["429"]], exactly(0))
    figure.add("outbox rows not marked sent", "", [pending], exactly(0))
    figure.notes.append(
        "one broadcast per run: a 10,000-recipient broadcast alone takes 400 s at 25/s; the "
        "spread shown is over equal parts of it"
    )
    figure.raw = {
        "window_rates": rates,
        "median_window_rate": statistics.median(rates) if rates else None,
    }
    return figure


def _window_rates(sends: list[float]) -> list[float]:
    """Send rate within each of WINDOWS equal shares of the messages."""
    size = len(sends) // WINDOWS
    rates = []
    for index in range(WINDOWS):
        part = sends[index * size : (index + 1) * size + 1]
        if len(part) > 1 and part[-1] > part[0]:
            rates.append((len(part) - 1) / (part[-1] - part[0]))
    return rates
