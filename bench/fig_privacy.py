"""Figure 6, what privacy costs an update: keyed pseudonyms and blind indexes (HMAC-SHA256)
and encryption at rest (AES-256-GCM), as the report conversation does them.

Residents walk whole reports through the bot, run in this process (the emulator too) so the
cipher's methods can be counted; then each method is timed alone on values of the sizes the
run gave it. Calls per update times their cost is the CPU an update spends on privacy, to be
set beside figure 1's CPU per update (the whole update, measured on the bot's process).
"""

from __future__ import annotations

import asyncio
import statistics
import timeit
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from bench.common import Options
from bench.harness import FAST_LIMITS, start_emulator
from bench.resident import Resident, places
from bench.stats import Figure
from bot.app import create_service, run_polling
from bot.config import Settings
from storage.crypto import Cipher

# _pseudonym: the HMAC behind a pseudonym not remembered from a moment before.
METHODS = ("pseudonym", "_pseudonym", "blind_index", "encrypt", "decrypt")
USER_BASE = 2_000_000


@contextmanager
def counted(calls: Counter[str], sizes: dict[str, list[int]]) -> Iterator[None]:
    """Count the cipher's calls (and the length of what each was given) while the block runs."""
    originals: dict[str, Callable[..., Any]] = {name: getattr(Cipher, name) for name in METHODS}

    def wrap(name: str) -> Callable[..., Any]:
        original = originals[name]

        def counting(self: Cipher, value: Any) -> Any:
            calls[name] += 1
            sizes.setdefault(name, []).append(len(str(value)))
            return original(self, value)

        return counting

    for name in METHODS:
        setattr(Cipher, name, wrap(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(Cipher, name, original)


async def _walk(options: Options, residents: int) -> tuple[Counter[str], dict[str, list[int]], int]:
    emulator = await start_emulator(FAST_LIMITS)
    database = options.workdir / f"privacy-{uuid.uuid4().hex[:8]}.sqlite3"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=SecretStr(emulator.token),
        telegram_api_url=emulator.base_url,
        database_url=f"sqlite+aiosqlite:///{database}",
        data_key=SecretStr(Cipher.generate_key()),
        log_level="WARNING",
        coordinator_ids=[900_001],
        job_tick=timedelta(seconds=1),
    )
    # The coordinator has opened the bot, as in production: alerts reach them (unknown to the
    # emulator, each was refused "chat not found" and took the dead-letter way instead).
    emulator.user(900_001, "Koordinator")
    service = await create_service(settings)
    polling = asyncio.create_task(run_polling(service, handle_signals=False))
    calls: Counter[str] = Counter()
    sizes: dict[str, list[int]] = {}
    updates = 0
    try:
        people = [Resident(emulator.user(USER_BASE + n)) for n in range(residents)]
        spots = places()
        with counted(calls, sizes):
            for n, person in enumerate(people):
                await person.report(spots[n % len(spots)])
                updates += person.updates
            await asyncio.sleep(1.0)  # the sender's records of the last alerts
    finally:
        service.stop_receiving()
        await polling
        await service.close()
        await emulator.stop()
    return calls, sizes, updates


def _cost(name: str, size: int, repeat: int) -> float:
    """Seconds per call of the cipher's method on a value of `size` characters."""
    cipher = Cipher([Cipher.generate_key()])
    text = "x" * max(size, 1)
    token = cipher.encrypt(text)
    calls: dict[str, Callable[[], object]] = {
        "pseudonym": lambda: cipher.pseudonym(7_345_600_001),
        "_pseudonym": lambda: cipher._pseudonym(7_345_600_001),
        "blind_index": lambda: cipher.blind_index(text),
        "encrypt": lambda: cipher.encrypt(text),
        "decrypt": lambda: cipher.decrypt(token),
    }
    return min(timeit.repeat(calls[name], number=repeat, repeat=5)) / repeat


async def run(options: Options) -> Figure:
    residents = 5 if options.quick else 20
    figure = Figure("privacy", f"6. Privacy per update ({residents} full reports, SQLite)")
    per_update: list[float] = []
    counts: dict[str, list[float]] = {name: [] for name in METHODS}
    for _ in range(options.runs):
        calls, sizes, updates = await _walk(options, residents)
        total = 0.0
        for name in METHODS:
            size = int(statistics.median(sizes.get(name, [1])))
            cost = _cost(name, size, 2_000)
            counts[name].append(calls[name] / updates)
            total += calls[name] / updates * cost
        per_update.append(total * 1000)
    labels = {
        "pseudonym": "pseudonyms asked for per update",
        "_pseudonym": "of which computed (HMAC-SHA256) per update",
        "blind_index": "blind indexes (HMAC-SHA256) per update",
        "encrypt": "values encrypted (AES-256-GCM) per update",
        "decrypt": "values decrypted (AES-256-GCM) per update",
    }
    for name in METHODS:
        figure.add(labels[name], "", counts[name])
    figure.add("CPU on pseudonyms, indexes and encryption per update", "ms", per_update)
    figure.notes.append(
        "Counted with the cipher's methods wrapped while residents report; each method then "
        "timed alone (timeit, best of 5) on a value of the median size it was given."
    )
    return figure
