"""``python -m playground.emulator`` serves the API and prints its base URL."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
import pytest

# A process of its own.
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_module_entry_point_serves_the_api() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "playground.emulator",
        "--port",
        "0",
        "--token",
        "123:ABC",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 15)
        base_url = line.decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base_url}/bot123:ABC/getMe") as response,
        ):
            body = await response.json()
        assert body["ok"] is True
        assert body["result"]["id"] == 123
    finally:
        process.terminate()
        await process.communicate()
