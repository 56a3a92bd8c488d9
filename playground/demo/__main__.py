"""``python -m playground.demo [--port 8080]``: try the whole service in a browser.

Starts the local Bot API emulator, the bot polling it on a fresh demo database, and the chat
page; Ctrl-C stops all three. Exit code 2 when the port is taken.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from playground.demo.demo import DEFAULT_DATA_DIR, Demo, PortInUse

EXIT_PORT_IN_USE = 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m playground.demo", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("DEMO_PORT") or 8080),
        help="port of the page (default: $DEMO_PORT or 8080)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where the throwaway database goes; wiped at every start (default: data/demo)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    demo = Demo(host=args.host, port=args.port, data_dir=args.data_dir)
    try:
        await demo.start()
    except PortInUse as error:
        print(
            f"Port {error.port} on {error.host} is already in use (another demo still running?).\n"
            f"Stop it, or pick another port: DEMO_PORT=8090 make demo  "
            f"(or python -m playground.demo --port 8090)",
            file=sys.stderr,
        )
        return EXIT_PORT_IN_USE
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(
        f"\nLapor Aman demo is running: open {demo.url}\n"
        f"(resident, duty officer and coordinator side by side; database in {demo.data_dir}/)\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        print("Stopping the demo...", flush=True)
        await demo.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(serve(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
