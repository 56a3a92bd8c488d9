"""The package as an operator installs it: a wheel built from a copy of the sources without
compiled catalogs, installed (not editable) into a fresh virtual environment, and run from a
directory that has nothing of the project in it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from playground.emulator import BotAPIEmulator
from storage.crypto import Cipher
from tests.conversations.resident import Resident
from tests.fixtures.timeline import until
from tests.production.processes import ROOT, bot_env, kill, terminate

pytestmark = pytest.mark.slow

# What a copy of the checkout leaves out: build products (.mo included), caches, the tests.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "data", "*.egg-info", "__pycache__", ".*_cache", "*.mo",
    "tests", "docs",
)  # fmt: skip


@dataclass(frozen=True)
class Installed:
    python: Path
    script: Path
    site_packages: Path
    elsewhere: Path


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env() -> dict[str, str]:
    """This process's environment without what would point Python at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture
def installed(tmp_path: Path) -> Installed:
    """Build and install the wheel. The new environment reuses this one's dependencies (a
    .pth line naming its site-packages) instead of installing them again; a plain path line
    does not run this environment's own .pth files, so an editable install of the checkout
    stays out of sight."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    assert not list(source.rglob("*.mo"))
    env = _clean_env()
    wheels = tmp_path / "wheels"
    _run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--wheel-dir", wheels, source,
        cwd=tmp_path, env=env,
    )  # fmt: skip
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    site_packages = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    (site_packages / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    [wheel] = wheels.glob("*.whl")
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel,
        cwd=tmp_path, env=env,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return Installed(python, venv / "bin" / "lapor-aman", site_packages, elsewhere)


async def _wait_for_poll(emulator: BotAPIEmulator, process: asyncio.subprocess.Process) -> None:
    async def polling() -> bool:
        if emulator.bot.active_poll is not None:
            return True
        if process.returncode is not None:
            _, log = await process.communicate()
            raise AssertionError(f"the installed bot stopped:\n{log.decode()[-3000:]}")
        return False

    await until(polling, "the installed bot to poll", within=60)


async def test_installed_package_runs_from_any_directory(
    installed: Installed, emulator: BotAPIEmulator
) -> None:
    where = _run(
        installed.python, "-c", "import bot, locales; print(bot.__file__, locales.__file__)",
        cwd=installed.elsewhere, env=_clean_env(),
    )  # fmt: skip
    assert all(Path(name).is_relative_to(installed.site_packages) for name in where.split())
    # The build compiled the catalogs into the package; nothing from the checkout is needed.
    assert (installed.site_packages / "locales/id/LC_MESSAGES/messages.mo").is_file()
    key = _run(installed.script, "genkey", cwd=installed.elsewhere, env=_clean_env()).strip()
    assert Cipher([key]).decrypt(Cipher([key]).encrypt("ok")) == "ok"

    env = bot_env(emulator, "sqlite+aiosqlite:///data/bot.sqlite3", key)
    del env["PYTHONPATH"]
    process = await asyncio.create_subprocess_exec(
        installed.python, "-m", "bot", "run",
        cwd=installed.elsewhere,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await _wait_for_poll(emulator, process)
        # Migrated, seeded from the shipped gazetteer, and answering in Indonesian.
        resident = Resident(emulator.user(user_id=5401, first_name="Siti"), "id")
        await resident.user.send_command("/start")
        await resident.expect("👋 <b>Welcome to Lapor Aman</b>")
        await resident.press("✅ I agree")
        await resident.begin_report()
    except BaseException:
        await kill(process)
        raise
    code, log = await terminate(process)
    assert code == 0, log
    assert (installed.elsewhere / "data" / "bot.sqlite3").is_file()
