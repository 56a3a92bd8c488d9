"""`python -m bot <command>`: run the bot, migrate the database, generate a key."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, Settings, load_settings
from storage.crypto import Cipher, KeyError_


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


async def _run(settings: Settings) -> None:
    from bot.app import create_service, run_polling

    service = await create_service(settings)
    try:
        await run_polling(service)
    finally:
        await service.close()


async def _db_upgrade(settings: Settings) -> None:
    from storage.migrate import upgrade_database

    await upgrade_database(settings.database_url)
    print("database is up to date")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Lapor Aman bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the bot (long polling)")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")
    commands.add_parser("genkey", help="print a new DATA_KEY")
    args = parser.parse_args(argv)

    if args.command == "genkey":
        print(Cipher.generate_key())
        return 0
    try:
        settings = load_settings()
        _configure_logging(settings)
        if args.command == "run":
            settings.require_token()
            asyncio.run(_run(settings))
        elif args.command == "db":
            asyncio.run(_db_upgrade(settings))
    except (ConfigError, KeyError_) as exc:
        print(f"lapor-aman: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
