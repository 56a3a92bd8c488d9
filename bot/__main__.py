"""`python -m bot <command>`: run the bot, migrate the database, generate a key, import the
duty roster, add or remove a coordinator, export cases."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot import event_loop
from bot.config import ConfigError, Settings, load_settings
from storage.crypto import Cipher, KeyError_
from storage.instance_lock import InstanceLocked

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from services.gazetteer import Gazetteer


def _configure_logging(settings: Settings) -> None:
    from bot.logging_setup import configure_logging

    configure_logging(settings.log_level, settings.log_format)


# SIGTERM or SIGINT before the service can stop cleanly (imports, migrations, the first calls
# to Telegram: seconds on a small server, or under load) used to kill it half-started by the
# signal's default action; it is kept and honoured as soon as the service exists.
_stop_asked: list[int] = []


def _ask_stop(signum: int, frame: object) -> None:
    _stop_asked.append(signum)


def _keep_early_stops() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _ask_stop)


async def _run(settings: Settings) -> None:
    from bot.app import Service, create_service, run_polling
    from bot.heap import freeze_start_up_heap
    from bot.ops import Operations, OpsServer
    from bot.webhook import run_webhook

    if settings.webhook_url:
        settings.require_webhook_secret()
    service: Service | None = None

    def stop_asked(signum: int) -> None:
        _stop_asked.append(signum)
        if service is not None:
            service.stop_receiving()

    # Until polling or the webhook puts its own handlers in place (and after: they only
    # replace these).
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_asked, signum)
    service = await create_service(settings)
    if _stop_asked:
        service.stop_receiving()
    frozen = freeze_start_up_heap()
    logging.getLogger("bot").info("start-up heap frozen: %d objects", frozen)
    ops = Operations(service)
    try:
        if settings.webhook_url:
            # /healthz and /metrics are served next to the webhook.
            await run_webhook(service, ops)
            return
        ops_server = OpsServer(ops)
        if settings.metrics_listen:
            try:
                await ops_server.start(settings.metrics_listen)
            except OSError as exc:
                # Residents' reports matter more than metrics: run on without the listener.
                logging.getLogger("bot").error(
                    "METRICS_LISTEN=%s cannot be used (%s); running without /metrics",
                    settings.metrics_listen,
                    exc.strerror or exc,
                )
        ops.install(service.dispatcher)
        try:
            # delete_webhook at its start: switching back from webhook mode just works.
            await run_polling(service)
        finally:
            await ops_server.stop()
    finally:
        await service.close()


def _hold_instance_lock(settings: Settings) -> object:
    """SQLite: refuse a second process on the same file (kept until the process exits)."""
    from storage.instance_lock import instance_lock_for

    lock = instance_lock_for(settings.database_url)
    if lock is not None:
        lock.acquire()
    return lock


async def _keys_rotate(settings: Settings) -> int:
    from storage.key_rotation import rotate_keys

    keys = settings.data_keys()
    if not keys:
        print("lapor-aman: DATA_KEY is not set", file=sys.stderr)
        return 2
    engine, _ = await _open_database(settings)
    try:
        from storage.crypto import get_cipher

        summary = await rotate_keys(engine, get_cipher())
    finally:
        await engine.dispose()
    for column, count in summary.rotated.items():
        if count:
            print(f"{column}: {count} values re-encrypted")
    print(f"re-encrypted {summary.total} values with the first key of DATA_KEY")
    if summary.skipped_changed:
        print(f"{summary.skipped_changed} values changed meanwhile (already under the new key)")
    if summary.reindexed:
        print(f"recomputed {summary.reindexed} chat-link indexes")
    if summary.residents_rekeyed:
        print(f"moved {summary.residents_rekeyed} residents to pseudonyms of the current key")
    return 0


async def _db_upgrade(settings: Settings) -> None:
    # The cipher too: rows from before residents were pseudonymous are converted with it.
    engine, _ = await _open_database(settings)
    await engine.dispose()
    print("database is up to date")


async def _open_database(settings: Settings) -> tuple[AsyncEngine, Gazetteer]:
    """What the bot does before its first update: the cipher, migrations, the gazetteer."""
    from bot.app import create_cipher, prepare_database
    from storage.crypto import configure_cipher
    from storage.db import create_engine

    configure_cipher(create_cipher(settings))
    engine = create_engine(settings.database_url)
    try:
        return engine, await prepare_database(settings, engine)
    except BaseException:
        await engine.dispose()
        raise


def _read_roster(path: Path) -> str | None:
    try:
        # utf-8-sig: spreadsheets often start their CSV with a byte-order mark.
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"lapor-aman: cannot read {path}: {exc}", file=sys.stderr)
        return None


async def _roster_import(settings: Settings, path: Path, text: str) -> int:
    from services.roster import RosterFileError, parse_roster_csv, replace_roster
    from storage.db import create_session_factory

    engine, gazetteer = await _open_database(settings)
    try:
        try:
            rows = parse_roster_csv(text, gazetteer)
        except RosterFileError as exc:
            print(f"lapor-aman: {path}: nothing was imported, fix these lines:", file=sys.stderr)
            for line in exc.lines():
                print(f"  {line}", file=sys.stderr)
            return 2
        async with create_session_factory(engine)() as session, session.begin():
            summary = await replace_roster(session, rows, actor_id=None)
    finally:
        await engine.dispose()
    names = ", ".join(
        entry.name if (entry := gazetteer.kelurahan(kelurahan_id)) else str(kelurahan_id)
        for kelurahan_id in summary.kelurahan_ids
    )
    print(f"imported {summary.shifts} shifts for {len(summary.kelurahan_ids)} kelurahan: {names}")
    print(f"replaced {summary.replaced} earlier shifts of those kelurahan")
    print(f"added {summary.bindings_added} officer-kelurahan bindings")
    if summary.officers_created:
        ids = ", ".join(str(officer_id) for officer_id in summary.officers_created)
        # Telegram refuses messages to someone who never started the bot: they would miss alerts.
        print(f"new officer ids (they must open the bot once to receive alerts): {ids}")
    return 0


async def _coordinator(settings: Settings, action: str, user_id: int) -> int:
    from bot.app import alert_policy
    from services.officers import demote_coordinator
    from services.roles import promote
    from storage.db import create_session_factory
    from storage.models import utcnow

    engine, _ = await _open_database(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if action == "add":
                await promote(session, user_id, actor_id=None)
                print(f"user {user_id} is now a coordinator")
                return 0
            # As in the chat: the cases they may no longer see go back to their kelurahan (the
            # running bot sends the alerts this queues).
            user, codes = await demote_coordinator(
                session, user_id, alert_policy(settings), utcnow(), actor_id=None
            )
    finally:
        await engine.dispose()
    if user is None:
        print(f"lapor-aman: user {user_id} is not known", file=sys.stderr)
        return 2
    print(f"user {user_id} is now {user.role}")
    if codes:
        print(f"open cases handed back to their kelurahan: {', '.join(codes)}")
    if user_id in settings.coordinator_ids:
        print("note: the id is in COORDINATOR_IDS, which makes it coordinator again at start-up")
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from services.export import export_cases
    from services.export_file import render
    from services.statistics import PeriodError, parse_period
    from storage.db import create_session_factory
    from storage.repositories.audit import AuditRepo

    try:
        period = parse_period(f"{args.since:%d-%m-%Y} {args.until:%d-%m-%Y}")
    except PeriodError as exc:
        reasons = {
            "reversed": "--since is after --until",
            "too_long": "the period is longer than 5 years; export it in parts",
        }
        print(f"lapor-aman: {reasons.get(exc.reason, 'not a valid period')}", file=sys.stderr)
        return 2
    engine, gazetteer = await _open_database(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            export = await export_cases(
                session, period, settings.timezone, gazetteer, personal=args.personal
            )
            # Same audit trail as the chat's export; the operator has no Telegram id.
            await AuditRepo(session).record(
                "cases_exported_personal" if args.personal else "cases_exported",
                actor_id=None,
                period=period.token(),
                rows=len(export.rows),
                format=args.format,
                personal=args.personal,
                via="cli",
            )
    finally:
        await engine.dispose()
    data = render(export, args.format)
    try:
        if args.personal:
            _write_private(args.out, data)
        else:
            args.out.write_bytes(data)
    except OSError as exc:
        print(f"lapor-aman: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(f"exported {len(export.rows)} cases ({period}) to {args.out}")
    return 0


def _write_private(path: Path, data: bytes) -> None:
    """Personal data, readable by the operator only from its first byte: written to a new file
    created with mode 600 beside `path`, then moved over it (an earlier export there, whatever
    its mode, is replaced whole; a crash midway leaves no readable copy)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _add_export_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="write the cases of a period to CSV or XLSX (Simfoni PPA columns)"
    )
    export.add_argument("--since", type=_date, required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--until", type=_date, required=True, help="last day (included)")
    export.add_argument("--out", type=Path, required=True, help="file to write")
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument(
        "--personal",
        action="store_true",
        help="include reporters' names, phones and descriptions (audit-logged)",
    )


def _add_staff_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roster = commands.add_parser("roster", help="the duty roster")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    roster_import = roster_commands.add_parser(
        "import",
        help="replace the roster of the kelurahan in a CSV file "
        "(columns: officer_id,kelurahan,weekday,start,end)",
    )
    roster_import.add_argument("file", type=Path)
    coordinator = commands.add_parser("coordinator", help="coordinators")
    coordinator_commands = coordinator.add_subparsers(dest="coordinator_command", required=True)
    for action, text in (("add", "make a user a coordinator"), ("remove", "take the role away")):
        sub = coordinator_commands.add_parser(action, help=text)
        sub.add_argument("user_id", type=int, help="Telegram user id")


def main(argv: list[str] | None = None) -> int:
    # Before anything imports aiogram: its ~450 Telegram types get their schemas when first
    # used, not all at import (about 100 MB less resident memory; bot/deferred_schemas.py).
    from bot.deferred_schemas import install

    install()
    # The same commands as the `lapor-aman` console script or as `python -m bot`.
    prog = "python -m bot" if sys.argv[0].endswith("__main__.py") else "lapor-aman"
    parser = argparse.ArgumentParser(prog=prog, description="Lapor Aman bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the bot (long polling, or webhook if WEBHOOK_URL)")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")
    commands.add_parser("genkey", help="print a new DATA_KEY")
    keys = commands.add_parser("keys", help="encryption keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_commands.add_parser(
        "rotate", help="re-encrypt every encrypted value with the first key of DATA_KEY"
    )
    _add_staff_commands(commands)
    _add_export_command(commands)
    args = parser.parse_args(argv)

    if args.command == "genkey":
        print(Cipher.generate_key())
        return 0
    try:
        settings = load_settings()
        _configure_logging(settings)
        if args.command == "run":
            _keep_early_stops()
            settings.require_token()
            lock = _hold_instance_lock(settings)
            event_loop.run(_run(settings))
            del lock
        elif args.command == "db":
            asyncio.run(_db_upgrade(settings))
        elif args.command == "keys":
            return asyncio.run(_keys_rotate(settings))
        elif args.command == "roster":
            text = _read_roster(args.file)
            if text is None:
                return 2
            return asyncio.run(_roster_import(settings, args.file, text))
        elif args.command == "coordinator":
            return asyncio.run(_coordinator(settings, args.coordinator_command, args.user_id))
        elif args.command == "export":
            return asyncio.run(_export(settings, args))
    except (ConfigError, KeyError_, InstanceLocked) as exc:
        print(f"lapor-aman: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
