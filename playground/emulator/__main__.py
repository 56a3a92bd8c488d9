"""Run the emulator standalone: ``python -m playground.emulator --port 8081 --token 123:ABC``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from playground.emulator.emulator import DEFAULT_TOKEN, DEFAULT_USERNAME, BotAPIEmulator
from playground.emulator.limits import RateLimits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m playground.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    limits = RateLimits(enabled=not args.no_rate_limits)
    emulator = BotAPIEmulator(args.token, limits, username=args.username)
    await emulator.start(args.host, args.port)
    print(emulator.base_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
