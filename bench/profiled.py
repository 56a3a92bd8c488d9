"""`python -m bench.profiled <bot module> [args]`: a bot process under cProfile, switched on and
off by signals, so the profile holds the measured window only (not imports and start-up,
which otherwise dominate it).

SIGUSR1 starts profiling the main thread (the event loop: handlers, SQLAlchemy, aiogram,
encryption); SIGUSR2 stops and writes the stats to $BENCH_PROFILE_OUT (pstats format; read it
with `python -m pstats FILE` or bench/profile_summary.py). The harness sends both
(BotProcess.measured) when BENCH_PROFILE=cprofile.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys
from types import FrameType

_profiler = cProfile.Profile()


def _start(_signum: int, _frame: FrameType | None) -> None:
    _profiler.enable()


def _stop(_signum: int, _frame: FrameType | None) -> None:
    _profiler.disable()
    _profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])


def main() -> None:
    module, args = sys.argv[1], sys.argv[2:]
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
