"""One side of `python -m bench.against`: run as a file with a tree's root as the working
directory, it imports that tree's own bench (harness, data, figure 1's residents and echo
users) and so measures that tree's bot the way that tree's `make bench` does.

    python .../bench/against_side.py SECONDS

Figure 1's run with the sender's limits lifted (bench.unthrottled_bot: the CPU target's own
measure), each followed by the bare echo bot's, repeated until SECONDS have passed; one line
of JSON per round on stdout. Written against the harness as it was on 2026-11-28 (b49dc83)
and as it is now: it uses nothing either lacks.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path


async def _rounds(seconds: float) -> None:
    # Imported here, once main() has put the tree's root first on the path.
    from bench import data
    from bench.fig_throughput import echo_run, residents_run
    from bench.harness import (
        FAST_LIMITS,
        BotConfig,
        bot_process,
        echo_process,
        running,
        sqlite_database,
        start_emulator,
    )

    work = Path(tempfile.mkdtemp(prefix="lapor-aman-against-"))
    emulator = await start_emulator(FAST_LIMITS)
    config = BotConfig(sqlite_database(work, "against"))
    bot = bot_process("bot", emulator, config, work, 618_001, module="bench.unthrottled_bot")
    echo = echo_process("echo", emulator, work, 619_001)
    try:
        await data.staffed_database(config, emulator, bot.token)
        async with running(bot, echo):
            # Warm-up, as figure 1's: first-use costs are not what a busy bot pays.
            await residents_run(emulator, bot, 999_900, 3)
            await echo_run(emulator, echo, 999_900, 3)
            deadline = time.monotonic() + seconds
            first = 1_000_000
            while time.monotonic() < deadline:
                ours = await residents_run(emulator, bot, first, 50)
                echoed = await echo_run(emulator, echo, first + 5_000, 50)
                first += 10_000
                line = {
                    "cpu_ms": 1000 * ours.bot_cpu / ours.updates,
                    "updates_per_second": ours.updates_per_second,
                    "echo_cpu_ms": 1000 * echoed.bot_cpu / echoed.updates,
                }
                print(json.dumps(line), flush=True)
    finally:
        await emulator.stop()
        await config.database.drop()


def main() -> None:
    sys.path.insert(0, str(Path.cwd()))
    asyncio.run(_rounds(float(sys.argv[1])))


if __name__ == "__main__":
    main()
