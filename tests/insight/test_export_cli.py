"""`python -m bot export`, run as the operator would."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.export import COLUMNS
from services.export_file import parse_csv
from services.gazetteer import Gazetteer
from storage.crypto import Cipher, configure_cipher
from storage.models import AuditLog
from tests.insight.test_statistics_service import seed_october
from tests.staff.test_cli import run_cli

# Each run starts a Python process that imports the whole bot and migrates the database.
pytestmark = pytest.mark.slow


async def test_cli_export(
    database_url: str,
    tmp_path: Path,
    session_factory: async_sessionmaker[AsyncSession],
    gazetteer: Gazetteer,
) -> None:
    key = Cipher.generate_key()
    configure_cipher(Cipher([key]))  # the `cipher` fixture restores the previous one
    async with session_factory() as session, session.begin():
        await seed_october(session)
    out = tmp_path / "oktober.csv"
    code, stdout, stderr = await run_cli(
        "export",
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-31",
        "--out",
        str(out),
        database_url=database_url,
        key=key,
        cwd=tmp_path,
    )
    assert code == 0, stderr
    assert "exported 6 cases" in stdout
    rows = parse_csv(out.read_bytes())
    assert len(rows) == 6 and tuple(rows[0]) == COLUMNS

    personal = tmp_path / "pribadi.xlsx"
    code, _, stderr = await run_cli(
        "export",
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-31",
        "--out",
        str(personal),
        "--format",
        "xlsx",
        "--personal",
        database_url=database_url,
        key=key,
        cwd=tmp_path,
    )
    assert code == 0, stderr
    assert personal.read_bytes()[:2] == b"PK" and personal.stat().st_mode & 0o077 == 0
    async with session_factory() as session:
        actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions.count("cases_exported") == 1
    assert actions.count("cases_exported_personal") == 1

    code, _, stderr = await run_cli(
        "export",
        "--since",
        "2026-10-31",
        "--until",
        "2026-10-01",
        "--out",
        str(out),
        database_url=database_url,
        key=key,
        cwd=tmp_path,
    )
    assert code == 2 and "--since is after --until" in stderr


# The CLI as a process that stops right after writing its file: chmod does nothing, as if the
# process had died between writing and restricting it.
DIES_BEFORE_CHMOD = (
    "import os, pathlib, sys\n"
    "os.chmod = lambda *args, **kwargs: None\n"
    "pathlib.Path.chmod = lambda *args, **kwargs: None\n"
    "from bot.__main__ import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


async def test_a_personal_export_is_never_readable_by_others(
    database_url: str, tmp_path: Path
) -> None:
    key = Cipher.generate_key()
    fresh = tmp_path / "baru.csv"
    earlier = tmp_path / "lama.csv"  # an earlier export, readable by everyone
    earlier.write_bytes(b"old")
    earlier.chmod(0o644)
    for out in (fresh, earlier):
        code, _, stderr = await run_cli(
            "-c", DIES_BEFORE_CHMOD, "export", "--since", "2026-10-01", "--until",
            "2026-10-31", "--out", str(out), "--personal",
            database_url=database_url, key=key, cwd=tmp_path, module=False,
        )  # fmt: skip
        assert code == 0, stderr
        assert out.read_bytes() not in (b"", b"old")
        assert out.stat().st_mode & 0o077 == 0, f"{out.name} was readable by others"
    # Nothing else was left beside them (no temporary file).
    assert not parts_left(tmp_path)


def parts_left(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if path.suffix == ".part"]
