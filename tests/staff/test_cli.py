"""`python -m bot roster import` and `python -m bot coordinator`, run as the operator would."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from services.gazetteer_loader import load_gazetteer
from storage.crypto import Cipher, configure_cipher
from storage.db import create_engine, create_session_factory
from storage.models import OfficerArea, RosterShift, User

ROOT = Path(__file__).resolve().parents[2]
# Each run starts a Python process that imports the whole bot and migrates the database.
pytestmark = pytest.mark.slow


async def run_cli(
    *args: str, database_url: str, key: str, cwd: Path, module: bool = True
) -> tuple[int, str, str]:
    """`python -m bot ARGS` (or, with module=False, `python ARGS`) as the operator runs it."""
    env = {
        key_: value
        for key_, value in os.environ.items()
        if key_ not in ("BOT_TOKEN", "COORDINATOR_IDS", "DEMO_MODE", "TELEGRAM_API_URL")
    }
    env.update(DATABASE_URL=database_url, DATA_KEY=key, PYTHONPATH=str(ROOT))
    # Run outside the repository, so no .env of a developer leaks into the test.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *(("-m", "bot") if module else ()),
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def stored(database_url: str, key: str) -> tuple[list[tuple[int, str, int]], dict[int, str]]:
    """(officer, kelurahan name, weekday) of every shift, and every user's role."""
    configure_cipher(Cipher([key]))
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            gazetteer = await load_gazetteer(session)
            shifts = [
                (s.officer_id, gazetteer.kelurahan(s.kelurahan_id).name, s.weekday)  # type: ignore[union-attr]
                for s in await session.scalars(
                    select(RosterShift).order_by(RosterShift.officer_id, RosterShift.weekday)
                )
            ]
            roles = {u.id: u.role for u in await session.scalars(select(User))}
            assert len(list(await session.scalars(select(OfficerArea)))) == len(
                {(officer, name) for officer, name, _ in shifts}
            )
            return shifts, roles
    finally:
        await engine.dispose()


async def test_roster_import(database_url: str, tmp_path: Path, cipher: Cipher) -> None:
    key = Cipher.generate_key()
    good = tmp_path / "roster.csv"
    good.write_text(
        "officer_id,kelurahan,weekday,start,end\n"
        "111,Menteng,Senin,08:00,16:00\n"
        "111,Menteng,Selasa,22:00,06:00\n"
        "222,kalampangan,Sunday,08.00,20.00\n",
        encoding="utf-8",
    )
    code, out, err = await run_cli(
        "roster", "import", str(good), database_url=database_url, key=key, cwd=tmp_path
    )
    assert code == 0, err
    assert "imported 3 shifts for 2 kelurahan: Menteng, Kalampangan" in out
    assert "new officer ids (they must open the bot once to receive alerts): 111, 222" in out
    shifts, roles = await stored(database_url, key)
    assert shifts == [(111, "Menteng", 0), (111, "Menteng", 1), (222, "Kalampangan", 6)]
    assert roles == {111: "officer", 222: "officer"}

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "officer_id,kelurahan,weekday,start,end\n"
        "333,Menteng,Senin,08:00,16:00\n"
        "333,Atlantis,Senin,08:00,16:00\n"
        "333,Menteng,Funday,08:00,16:00\n",
        encoding="utf-8",
    )
    code, out, err = await run_cli(
        "roster", "import", str(bad), database_url=database_url, key=key, cwd=tmp_path
    )
    assert code == 2
    assert "nothing was imported" in err
    assert "line 3: unknown kelurahan 'Atlantis'" in err
    assert "line 4: weekday 'Funday'" in err
    assert await stored(database_url, key) == (shifts, roles), "a bad file changes nothing"

    code, _, err = await run_cli(
        "roster", "import", str(tmp_path / "missing.csv"), database_url=database_url, key=key,
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 2 and "cannot read" in err


async def test_coordinator_add_and_remove(
    database_url: str, tmp_path: Path, cipher: Cipher
) -> None:
    key = Cipher.generate_key()
    code, out, err = await run_cli(
        "coordinator", "add", "4242", database_url=database_url, key=key, cwd=tmp_path
    )
    assert code == 0, err
    assert "user 4242 is now a coordinator" in out
    assert (await stored(database_url, key))[1] == {4242: "coordinator"}
    code, out, err = await run_cli(
        "coordinator", "remove", "4242", database_url=database_url, key=key, cwd=tmp_path
    )
    assert code == 0, err
    # Back to resident: from now on kept under a pseudonym, no longer by the Telegram id.
    assert (await stored(database_url, key))[1] == {Cipher([key]).pseudonym(4242): "resident"}
