"""Several instances: refused on one SQLite file; serialised per user on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey

from storage.crypto import Cipher
from storage.db import is_sqlite
from storage.event_isolation import PostgresEventIsolation
from storage.instance_lock import InstanceLocked, instance_lock_for

ROOT = Path(__file__).resolve().parents[2]


def test_second_instance_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    first = instance_lock_for(url)
    assert first is not None
    first.acquire()
    try:
        with pytest.raises(InstanceLocked, match="already running"):
            second = instance_lock_for(url)
            assert second is not None
            second.acquire()
        # The command line says so and stops before touching Telegram or the database.
        env = {
            **os.environ,
            "BOT_TOKEN": "1:x",
            "DATABASE_URL": url,
            "DATA_KEY": "",
            "DEMO_MODE": "true",
            "TELEGRAM_API_URL": "http://127.0.0.1:9",
        }
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        assert "already running on this SQLite database" in result.stderr
        assert str(os.getpid()) in result.stderr
    finally:
        first.release()
    # Released (as by the process exiting): the next one may start.
    again = instance_lock_for(url)
    assert again is not None
    again.acquire()
    again.release()


async def test_advisory_isolation_serialises_one_user_across_instances(
    database_url: str, cipher: Cipher
) -> None:
    if is_sqlite(database_url):
        pytest.skip("advisory locks are PostgreSQL's")
    # Two isolations with their own engines stand for two bot processes.
    one, two = PostgresEventIsolation(database_url), PostgresEventIsolation(database_url)
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    other = StorageKey(bot_id=1, chat_id=43, user_id=43)
    inside: list[str] = []
    overlap = False

    async def handle(isolation: PostgresEventIsolation, name: str, storage_key: StorageKey) -> None:
        nonlocal overlap
        async with isolation.lock(storage_key):
            if any(entry.endswith(str(storage_key.user_id)) for entry in inside):
                overlap = True
            inside.append(f"{name}:{storage_key.user_id}")
            await asyncio.sleep(0.05)
            inside.remove(f"{name}:{storage_key.user_id}")

    try:
        started = asyncio.get_running_loop().time()
        await asyncio.gather(
            *(handle(one if i % 2 else two, f"i{i}", key) for i in range(6)),
            handle(one, "x", other),
        )
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        await one.close()
        await two.close()
    assert not overlap
    # Six updates of one user, one after the other.
    assert elapsed >= 0.3
