"""`python -m bench [--quick] [--only NAME] [--postgres URL] [--runs N] [--keep]`.

Runs the figures one after the other (never two at once: they would share the two cores),
prints the table (Markdown) and writes bench/results/bench-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Options
from bench.stats import Figure, machine, table, write_json

# Figure name -> module with `async def run(options) -> Figure`, in the order they run.
FIGURES = {
    "throughput": "bench.fig_throughput",
    "latency": "bench.fig_alert_latency",
    "broadcast": "bench.fig_broadcast",
    "footprint": "bench.fig_footprint",
    "recovery": "bench.fig_recovery",
    "privacy": "bench.fig_privacy",
}
POSTGRES_ENV = "TEST_POSTGRES_URL"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller and once (about 3 min)")
    parser.add_argument(
        "--only", action="append", choices=sorted(FIGURES), help="run only this figure (repeatable)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(POSTGRES_ENV) or None,
        help=f"PostgreSQL server URL where databases may be created (default: ${POSTGRES_ENV})",
    )
    parser.add_argument("--runs", type=int, help="repetitions per figure (default 3, quick 1)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch directory (databases, bot logs)"
    )
    return parser.parse_args(argv)


async def run_figures(names: list[str], options: Options) -> list[Figure]:
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(FIGURES[name])
        print(f"== {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        figure: Figure = await module.run(options)
        figure.seconds = time.monotonic() - started
        print(f"   done in {figure.seconds:.0f}s", file=sys.stderr, flush=True)
        figures.append(figure)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    names = [name for name in FIGURES if not args.only or name in args.only]
    runs = args.runs or (1 if args.quick else 3)
    workdir = Path(tempfile.mkdtemp(prefix="lapor-aman-bench-"))
    options = Options(quick=args.quick, runs=runs, postgres=args.postgres, workdir=workdir)
    info = machine()
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}; scratch: {workdir}",
        file=sys.stderr,
    )
    try:
        figures = asyncio.run(run_figures(names, options))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(table(figures))
    path = write_json(
        figures,
        {"quick": args.quick, "runs": runs, "postgres": bool(args.postgres), "only": names},
    )
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
