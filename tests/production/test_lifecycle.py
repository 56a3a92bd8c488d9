"""Data lifecycle: RETENTION anonymises old closed cases only; keys rotate without loss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Text, literal, select, type_coerce, update
from sqlalchemy.orm import selectinload

import storage.crypto
from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services.report_draft import Attachment
from services.retention import anonymise_closed_cases
from storage.crypto import Cipher, KeyError_, configure_cipher
from storage.db import create_engine, create_session_factory
from storage.key_rotation import encrypted_columns, rotate_keys
from storage.models import CaseNote, FsmState, Report, ReporterMessage, utcnow
from tests.cases.staffing import file_report
from tests.fixtures.bot import RunningBot, start_bot

PHOTO = Attachment(kind="photo", file_id="AgAD-photo", chat_id=7777, message_id=3)


async def test_retention_anonymises_old_closed_cases_only(bot: RunningBot) -> None:
    service = bot.service
    old_closed, _ = await file_report(service, "Pahandut", evidence=[PHOTO], consent=True)
    recent_closed, _ = await file_report(service, "Pahandut", reporter_chat=7778)
    old_open, _ = await file_report(service, "Pahandut", reporter_chat=7779)
    now = utcnow()
    async with service.session_factory() as session, session.begin():
        for report_id, closed in (
            (old_closed, now - timedelta(days=400)),
            (recent_closed, now - timedelta(days=10)),
        ):
            report = await session.get(Report, report_id)
            assert report is not None
            report.status, report.closed_at = "selesai", closed
        old = await session.get(Report, old_open)
        assert old is not None
        old.created_at = now - timedelta(days=500)
        session.add(CaseNote(report_id=old_closed, author_id=1, text="Korban tinggal di RT 3"))
        # What the reporter was told (a status update, shown when they open it) goes too.
        for report_id in (old_closed, recent_closed):
            session.add(ReporterMessage(report_id=report_id, content={"text": "Kabar"}))

    done = await anonymise_closed_cases(
        service.session_factory, now=now, retention=timedelta(days=365)
    )
    assert done == 1
    # Idempotent: nothing left to do.
    assert (
        await anonymise_closed_cases(
            service.session_factory, now=now, retention=timedelta(days=365)
        )
        == 0
    )

    async with service.session_factory() as session:
        reports = {
            r.id: r
            for r in await session.scalars(select(Report).options(selectinload(Report.evidence)))
        }
        notes = list(await session.scalars(select(CaseNote)))
        told = [m.report_id for m in await session.scalars(select(ReporterMessage))]
    wiped = reports[old_closed]
    assert wiped.anonymised_at is not None
    assert (wiped.description, wiped.landmark, wiped.location) == (None, None, None)
    assert (wiped.reporter_chat_id, wiped.reporter_chat_index) == (None, None)
    assert (wiped.reporter_name, wiped.reporter_phone) == (None, None)
    # Counts and categories stay for the statistics.
    assert len(wiped.evidence) == 1 and wiped.evidence[0].source is None
    assert wiped.category == "physical" and wiped.kelurahan_id is not None
    assert [note.text for note in notes] == [""]
    assert told == [recent_closed]
    for kept in (recent_closed, old_open):
        assert reports[kept].description is not None
        assert reports[kept].anonymised_at is None


@pytest.fixture
def plain_cipher(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests below swap the process-wide cipher; put the previous one back afterwards.
    monkeypatch.setattr(storage.crypto, "_cipher", storage.crypto._cipher)


async def _raw_tokens(settings: Settings) -> list[str]:
    engine = create_engine(settings.database_url)
    tokens: list[str] = []
    try:
        async with engine.connect() as connection:
            for _table, columns in encrypted_columns():
                for column in columns:
                    query = select(type_coerce(column, Text)).where(column.is_not(None))
                    tokens += [row[0] for row in await connection.execute(query)]
    finally:
        await engine.dispose()
    return tokens


async def test_key_rotation_leaves_everything_readable_with_the_new_key(
    settings: Settings, emulator: BotAPIEmulator, plain_cipher: None
) -> None:
    old_key = settings.data_keys()[0]
    running = await start_bot(settings, emulator)
    try:
        await file_report(running.service, "Langkai", evidence=[PHOTO], consent=True)
        await file_report(running.service, "Menteng", reporter_chat=8888)
        async with running.service.session_factory() as session, session.begin():
            session.add(FsmState(key="x", state="Report:description", data={"d": "draft"}))
    finally:
        await running.stop()
    before = await _raw_tokens(settings)
    assert before

    new_key = Cipher.generate_key()
    both = Cipher([new_key, old_key])
    configure_cipher(both)
    engine = create_engine(settings.database_url)
    try:
        summary = await rotate_keys(engine, both)
        assert summary.total == len(before)
        # Re-running finds nothing left under the old key.
        assert (await rotate_keys(engine, both)).total == 0
    finally:
        await engine.dispose()

    after = await _raw_tokens(settings)
    assert len(after) == len(before)
    new_only, old_only = Cipher([new_key]), Cipher([old_key])
    for token in after:
        new_only.decrypt(token)
        with pytest.raises(KeyError_):
            old_only.decrypt(token)

    # Drop the old key: everything reads, and the chat-link index follows the new last key.
    only_new = Cipher([new_key])
    configure_cipher(only_new)
    engine = create_engine(settings.database_url)
    try:
        summary = await rotate_keys(engine, only_new)
        assert summary.total == 0 and summary.reindexed == 1
        async with create_session_factory(engine)() as session:
            reports = list(await session.scalars(select(Report).order_by(Report.id)))
            assert [r.description for r in reports] == [
                "Tetangga memukul anaknya setiap malam."
            ] * 2
            linked = [r for r in reports if r.reporter_chat_id is not None]
            assert [r.reporter_chat_index for r in linked] == [only_new.blind_index("7777")]
    finally:
        await engine.dispose()


async def test_keys_rotate_command(
    settings: Settings,
    emulator: BotAPIEmulator,
    plain_cipher: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.__main__ import _keys_rotate

    old_key = settings.data_keys()[0]
    running = await start_bot(settings, emulator)
    try:
        await file_report(running.service, "Langkai")
    finally:
        await running.stop()
    new_key = Cipher.generate_key()
    rotating = settings.model_copy(update={"data_key": SecretStr(f"{new_key},{old_key}")})
    assert await _keys_rotate(rotating) == 0
    out = capsys.readouterr().out
    assert "reports.description: 1 values re-encrypted" in out
    for token in await _raw_tokens(settings):
        Cipher([new_key]).decrypt(token)


async def test_values_written_as_fernet_tokens_still_read_and_rotation_rewrites_them(
    settings: Settings, emulator: BotAPIEmulator, plain_cipher: None
) -> None:
    # A database from before AES-GCM (storage/crypto.py) holds Fernet tokens of the same key.
    key = settings.data_keys()[0]
    running = await start_bot(settings, emulator)
    try:
        await file_report(running.service, "Langkai", evidence=[PHOTO], consent=True)
    finally:
        await running.stop()
    cipher, fernet = Cipher([key]), Fernet(key.encode())
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            for table, columns in encrypted_columns():
                pk = next(iter(table.primary_key.columns))
                for column in columns:
                    raw = type_coerce(column, Text)
                    rows = list(await connection.execute(select(pk, raw).where(raw.is_not(None))))
                    for row_id, token in rows:
                        legacy = fernet.encrypt(cipher.decrypt(token).encode()).decode()
                        await connection.execute(
                            update(table)
                            .where(pk == row_id)
                            .values({column.name: literal(legacy, Text)})
                        )
        legacy_tokens = await _raw_tokens(settings)
        assert legacy_tokens and not any(cipher.is_current(t) for t in legacy_tokens)

        configure_cipher(cipher)
        async with create_session_factory(engine)() as session:
            report = await session.scalar(select(Report))
            assert report is not None
            assert report.description == "Tetangga memukul anaknya setiap malam."

        # Rotation with the same key rewrites every one of them, and leaves them readable.
        assert (await rotate_keys(engine, cipher)).total == len(legacy_tokens)
        assert all(cipher.is_current(t) for t in await _raw_tokens(settings))
        async with create_session_factory(engine)() as session:
            report = await session.scalar(select(Report))
            assert report is not None
            assert report.description == "Tetangga memukul anaknya setiap malam."
    finally:
        await engine.dispose()
