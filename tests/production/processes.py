"""Run `python -m bot run` as a real process against the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from playground.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[2]


def bot_env(
    emulator: BotAPIEmulator, database_url: str, data_key: str, **extra: str
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WEBHOOK_", "METRICS_", "DATABASE_", "DATA_KEY", "BOT_TOKEN"))
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": emulator.token,
            "TELEGRAM_API_URL": emulator.base_url,
            "DATABASE_URL": database_url,
            "DATA_KEY": data_key,
            "METRICS_LISTEN": "",
            "LOG_LEVEL": "INFO",
            "JOB_TICK": "1",
            # The suite runs at any hour (see tests/fixtures/bot.py).
            "QUIET_HOURS": "",
        }
    )
    env.update(extra)
    return env


async def start_process(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def terminate(process: asyncio.subprocess.Process, patience: float = 30) -> tuple[int, str]:
    """SIGTERM, wait for the exit; returns the exit code and what it logged."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), patience)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.communicate()
