"""The pieces every figure uses: the emulator, bot processes and throwaway databases."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from playground.emulator import BotAPIEmulator, RateLimits
from storage.crypto import Cipher

REPO = Path(__file__).resolve().parent.parent
# Residents in figure 1 tap as fast as the bot answers, far faster than people: Telegram's
# per-chat limit (about 1/s) and the bot-wide 30/s would measure the emulator's flood control
# instead of the bot. Figures about delivery keep Telegram's limits (RateLimits()).
FAST_LIMITS = RateLimits(
    global_per_second=100_000, per_chat_per_second=1_000.0, per_chat_burst=1_000
)
TELEGRAM_LIMITS = RateLimits()
# BENCH_PROFILE=cprofile runs every bot process under cProfile (stats land next to its log).
PROFILE_ENV = "BENCH_PROFILE"
COORDINATOR_ID = 900_001
READY_PATIENCE = 120.0


def new_token(bot_id: int) -> str:
    return f"{bot_id}:bench-{uuid.uuid4().hex[:12]}"


async def start_emulator(limits: RateLimits = TELEGRAM_LIMITS) -> BotAPIEmulator:
    emulator = BotAPIEmulator(token=new_token(600_001), rate_limits=limits)
    await emulator.start(host="127.0.0.1", port=0)
    return emulator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in this process for the block. The emulator runs here and
    stamps each message as it takes it: a full pass over its state (a 10,000-recipient
    broadcast and everything before it) once held it for 0.65 s in the middle of a burst,
    and 0.65 s went onto every alert still to come."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- databases ------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    path: Path | None = None  # the SQLite file, for its size
    _drop: Callable[[], Any] | None = None

    @property
    def backend(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    def size_bytes(self) -> int:
        """The SQLite file after folding the WAL back in (what a backup would copy)."""
        if self.path is None:
            raise ValueError("only SQLite has a file to measure")
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    async def drop(self) -> None:
        if self._drop is not None:
            await self._drop()


def sqlite_database(workdir: Path, name: str) -> Database:
    path = workdir / f"{name}.sqlite3"
    return Database(f"sqlite+aiosqlite:///{path}", path)


async def postgres_database(admin_url: str) -> Database:
    """A database that exists only for this run, on a server where we may create databases."""
    admin = make_url(admin_url)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()

    async def drop() -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        finally:
            await engine.dispose()

    return Database(admin.set(database=name).render_as_string(hide_password=False), None, drop)


# --- bot processes --------------------------------------------------------------------------


@dataclass
class BotConfig:
    """What the bot process gets in its environment (bot/config.py's Settings)."""

    database: Database
    data_key: str = field(default_factory=Cipher.generate_key)
    broadcast_rate: float = 25.0
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, emulator: BotAPIEmulator, token: str) -> dict[str, str]:
        return {
            "BOT_TOKEN": token,
            "TELEGRAM_API_URL": emulator.base_url,
            "DATABASE_URL": self.database.url,
            "DATA_KEY": self.data_key,
            "COORDINATOR_IDS": str(COORDINATOR_ID),
            # Nothing may escalate or follow up in the middle of a measurement.
            "ACK_TIMEOUT": "6h",
            "URGENT_ACK_TIMEOUT": "6h",
            "QUIET_HOURS": "",
            "BROADCAST_RATE": str(self.broadcast_rate),
            # Production's default level: its logging cost is part of what is measured.
            "LOG_LEVEL": "INFO",
            # No /metrics listener: several bots run at once here, and port 9090 may be taken.
            "METRICS_LISTEN": "",
            **self.extra_env,
        }


class BotProcess:
    """`python -m bot run` (or the echo bot) as a child process talking to the emulator."""

    def __init__(
        self,
        name: str,
        module: str,
        emulator: BotAPIEmulator,
        token: str,
        env: Mapping[str, str],
        workdir: Path,
    ) -> None:
        self.name = name
        self.module = module
        self.emulator = emulator
        self.token = token
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.profile_path: Path | None = None
        self._env = dict(env)
        self._process: asyncio.subprocess.Process | None = None
        self._ps: psutil.Process | None = None
        self.started_at = 0.0
        self.startup_seconds = 0.0
        # Known to the emulator from the start, so people can be registered with this bot.
        emulator.add_bot(token, f"{name.replace('-', '_')}_bot")
        # The coordinator from COORDINATOR_IDS has opened the bot (escalations reach them).
        emulator.user(COORDINATOR_ID, "Koordinator", token=token)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _argv(self) -> list[str]:
        argv = [sys.executable, "-m"]
        if os.environ.get(PROFILE_ENV) == "cprofile":
            # Profiled only inside `measured()`, not through imports and start-up.
            self.profile_path = self.workdir / f"{self.name}.prof"
            self._env["BENCH_PROFILE_OUT"] = str(self.profile_path)
            argv += ["bench.profiled"]
        argv += [self.module]
        return [*argv, "run"] if self.module == "bot" else argv

    @contextlib.contextmanager
    def measured(self) -> Iterator[None]:
        """The window a figure measures: profiled when BENCH_PROFILE=cprofile (the stats of
        the last window are kept). The bench's own garbage collector waits meanwhile."""
        with collector_paused():
            if self.profile_path is None or self._process is None:
                yield
                return
            self._process.send_signal(signal.SIGUSR1)
            try:
                yield
            finally:
                if self._process is not None:
                    self._process.send_signal(signal.SIGUSR2)

    async def start(self) -> float:
        """Start and wait until a long poll waits at the emulator; returns the start-up time:
        process start to the first getUpdates the emulator receives."""
        argv = self._argv()
        env = {**os.environ, **self._env, "PYTHONPATH": str(REPO)}
        with self.log_path.open("ab") as log:
            self.started_at = time.time()
            # cwd is the run's scratch directory: a developer's .env must not leak in.
            self._process = await asyncio.create_subprocess_exec(
                *argv, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._ps = psutil.Process(self._process.pid)
        bot = self.emulator.state.bots[self.token]
        deadline = time.monotonic() + READY_PATIENCE
        # The emulator records a call when it is answered, a long poll only after its
        # timeout: the moment the poll starts waiting is seen from here, within 2 ms.
        while bot.active_poll is None:
            if self._process.returncode is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self._process.returncode}: see "
                    f"{self.log_path}\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} never polled the emulator: see {self.log_path}")
            await asyncio.sleep(0.002)
        self.startup_seconds = time.time() - self.started_at
        return self.startup_seconds

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def rss_bytes(self) -> int:
        assert self._ps is not None
        return int(self._ps.memory_info().rss)

    def peak_rss_bytes(self) -> int | None:
        """VmHWM (Linux): the most the process ever held resident."""
        status = Path(f"/proc/{self.pid}/status")
        if not status.exists():
            return None
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return None

    def cpu_seconds(self) -> float:
        assert self._ps is not None
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    async def stop(self, patience: float = 30.0) -> None:
        """SIGINT, as Ctrl-C: the bot drains its updates and its sender, cProfile writes its
        file. Killed if it does not stop in time."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), patience)
        except TimeoutError:
            process.kill()
            await process.wait()


def bot_process(
    name: str,
    emulator: BotAPIEmulator,
    config: BotConfig,
    workdir: Path,
    bot_id: int,
    *,
    module: str = "bot",
) -> BotProcess:
    """`python -m bot run`, or a bench module that runs it (bench.unthrottled_bot)."""
    token = new_token(bot_id)
    return BotProcess(name, module, emulator, token, config.env(emulator, token), workdir)


def echo_process(name: str, emulator: BotAPIEmulator, workdir: Path, bot_id: int) -> BotProcess:
    token = new_token(bot_id)
    env = {"BOT_TOKEN": token, "TELEGRAM_API_URL": emulator.base_url}
    return BotProcess(name, "bench.echo_bot", emulator, token, env, workdir)


def durable_echo_process(
    name: str, emulator: BotAPIEmulator, database: Database, workdir: Path, bot_id: int
) -> BotProcess:
    """bench/durable_echo_bot.py: the echo bot with our bot's inbox, outbox and transactions."""
    token = new_token(bot_id)
    env = {"BOT_TOKEN": token, "TELEGRAM_API_URL": emulator.base_url, "DATABASE_URL": database.url}
    return BotProcess(name, "bench.durable_echo_bot", emulator, token, env, workdir)


@contextlib.asynccontextmanager
async def running(*processes: BotProcess) -> AsyncIterator[tuple[BotProcess, ...]]:
    try:
        for process in processes:
            await process.start()
        yield processes
    finally:
        for process in processes:
            await process.stop()


def scratch_dir(keep: bool) -> tempfile.TemporaryDirectory[str] | Path:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="lapor-aman-bench-"))
        return path
    return tempfile.TemporaryDirectory(prefix="lapor-aman-bench-")
