"""Sensitive values never reach the disk in clear: not the SQLite file, its WAL, nor PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.crypto import Cipher, KeyError_
from storage.db import is_sqlite
from storage.fsm_storage import SQLAlchemyStorage, storage_key
from storage.gazetteer_seed import seed_gazetteer
from storage.models import Evidence, Kelurahan, Report, ReportStatusChange

MARKER = "RAHASIA-" + uuid.uuid4().hex
KEY = StorageKey(bot_id=1, chat_id=77, user_id=77)
# Digits unlikely to occur by chance, so finding them would mean the pin is stored in clear.
LOCATION = {"lat": -2.2109871357, "lon": 113.9137562468}


async def _write_sensitive_rows(factory: async_sessionmaker[AsyncSession]) -> str:
    code = "KODE" + uuid.uuid4().hex[:8].upper()
    async with factory() as session, session.begin():
        await seed_gazetteer(session)
        kelurahan_id = await session.scalar(select(Kelurahan.id).where(Kelurahan.slug == "menteng"))
        assert kelurahan_id is not None
        session.add(
            Report(
                code=code,
                draft_id=str(uuid.uuid4()),
                relation="saksi",
                category="fisik",
                victim="anak_p",
                victim_age="6-12",
                kelurahan_id=kelurahan_id,
                occurred="hari_ini",
                description=f"deskripsi {MARKER}",
                landmark=f"dekat {MARKER}",
                reporter_name=f"nama {MARKER}",
                reporter_phone=f"+62 {MARKER}",
                reporter_chat_id=MARKER,
                location=LOCATION,
                held_at=f"kapal {MARKER}",
                anonymous=False,
                evidence=[
                    Evidence(kind="photo", source={"file_id": MARKER, "caption": f"memar {MARKER}"})
                ],
                history=[ReportStatusChange(status="baru", note=MARKER)],
            )
        )
    await SQLAlchemyStorage(factory).set_data(KEY, {"description_parts": [MARKER]})
    return code


def _sqlite_bytes(url: str) -> bytes:
    database = Path(str(make_url(url).database))
    wal = database.with_name(database.name + "-wal")
    assert wal.exists(), "expected WAL mode: recent writes live in the -wal file"
    return database.read_bytes() + wal.read_bytes()


async def test_sensitive_values_are_not_stored_in_clear(
    database_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    cipher: Cipher,
) -> None:
    code = await _write_sensitive_rows(session_factory)

    if is_sqlite(database_url):
        # Read while the engine is open: closing the last connection folds the WAL into the file.
        raw = _sqlite_bytes(database_url)
        assert code.encode() in raw, "the files read are not where the rows went"
        assert MARKER.encode() not in raw
        assert b"2109871357" not in raw
        assert b"9137562468" not in raw
        return

    async with engine.connect() as connection:
        report = (
            await connection.execute(
                text(
                    "SELECT description, landmark, reporter_name, reporter_phone,"
                    " reporter_chat_id FROM reports WHERE code = :code"
                ),
                {"code": code},
            )
        ).one()
        location = await connection.scalar(
            text("SELECT location FROM reports WHERE code = :code"), {"code": code}
        )
        others = [
            await connection.scalar(text("SELECT source FROM evidence")),
            await connection.scalar(text("SELECT note FROM report_status_changes")),
            await connection.scalar(
                text("SELECT data FROM fsm_state WHERE key = :key"), {"key": storage_key(KEY)}
            ),
        ]
    for stored in [*report, *others]:
        assert isinstance(stored, str)
        assert MARKER not in stored
        assert MARKER in cipher.decrypt(stored)
    assert isinstance(location, str)
    assert "2109871357" not in location
    assert json.loads(cipher.decrypt(location)) == LOCATION


def test_a_stored_value_read_with_another_key_or_altered_is_refused() -> None:
    key, other = Cipher.generate_key(), Cipher.generate_key()
    token = Cipher([key]).encrypt(MARKER)
    # Two tokens of one value differ (a fresh nonce each), and carry no clear text.
    assert token != Cipher([key]).encrypt(MARKER) and MARKER not in token
    assert Cipher([other, key]).decrypt(token) == MARKER
    altered = token[:20] + ("B" if token[20] != "B" else "C") + token[21:]
    for cipher, value in [(Cipher([other]), token), (Cipher([key]), altered)]:
        with pytest.raises(KeyError_):
            cipher.decrypt(value)
