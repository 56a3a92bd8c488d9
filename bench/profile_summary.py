"""`python -m bench.profile_summary FILE.prof [N]`: where a bot process spent its CPU.

cProfile's cumulative times mean little for asyncio code (a coroutine's time is split over
every resumption, and the loop's idle wait dominates everything), so this adds up the *own*
time of each function by package, leaving out the event loop's idle wait, then lists the
functions with the most own time. Profiles come from BENCH_PROFILE=cprofile (bench/profiled.py).
"""

from __future__ import annotations

import pstats
import sys
from collections import defaultdict

IDLE = "<method 'poll' of 'select.epoll' objects>"


def package_of(filename: str, function: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    for ours in ("bot", "conversations", "services", "storage", "playground", "bench"):
        if f"/{ours}/" in filename:
            return f"[{ours}]"
    if filename == "~":
        return "(built-in) " + function
    return "(stdlib) " + filename.rsplit("/", 1)[-1]


def summary(path: str, top: int = 25) -> str:
    stats = pstats.Stats(path)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = stats.stats  # type: ignore[attr-defined]
    by_package: defaultdict[str, float] = defaultdict(float)
    by_function: defaultdict[str, float] = defaultdict(float)
    idle = 0.0
    for (filename, line, function), (_, _, own, _, _) in raw.items():
        if function == IDLE:
            idle += own
            continue
        by_package[package_of(filename, function)] += own
        by_function[f"{filename.rsplit('site-packages/', 1)[-1]}:{line}({function})"] += own
    busy = sum(by_package.values())
    lines = [f"main thread: {busy:.2f}s busy, {idle:.2f}s idle in the event loop", ""]
    lines += [
        f"{own:8.2f}s {100 * own / busy:5.1f}%  {name}" for name, own in _top(by_package, top)
    ]
    lines += ["", "functions by own time:"]
    lines += [
        f"{own:8.2f}s {100 * own / busy:5.1f}%  {name}" for name, own in _top(by_function, top)
    ]
    return "\n".join(lines)


def _top(totals: dict[str, float], count: int) -> list[tuple[str, float]]:
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:count]


if __name__ == "__main__":
    print(summary(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25))
