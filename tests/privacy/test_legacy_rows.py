"""A database from before residents were pseudonymous (revision 0005) is converted at start-up:
its rows no longer name a resident in clear, none of the old values is left in the SQLite
file, and nothing is lost (the subscription, the queued message, the half-written draft)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.engine import make_url

from storage.crypto import Cipher
from storage.db import create_engine
from storage.identity import chat_key, pseudonym
from storage.identity_upgrade import upgrade_identities
from storage.migrate import upgrade_database
from storage.models import ChatMessage, FsmState, OutboxMessage, Subscription, User

RESIDENT = 7_345_600_099
OFFICER = 7_400_000_011
BOT = 123456
LEGACY_KEY = f"{BOT}:{RESIDENT}:{RESIDENT}:::default"


async def _legacy_rows(url: str, cipher: Cipher) -> None:
    engine = create_engine(url)
    now = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    payload = cipher.encrypt(json.dumps({"method": "sendMessage", "params": {"text": "Halo"}}))
    draft = cipher.encrypt(json.dumps({"category": "psikis"}))
    rows = [
        ("INSERT INTO users (id, language, role, created_at, last_seen_at, "
         "status_lookup_failures) VALUES (:id, 'id', :role, :now, :now, 0)",
         [{"id": RESIDENT, "role": "resident", "now": now},
          {"id": OFFICER, "role": "officer", "now": now}]),
        ("INSERT INTO subscriptions (user_id, active, subscribed_at) VALUES (:id, true, :now)",
         [{"id": RESIDENT, "now": now}]),
        ("INSERT INTO outbox (dedupe_key, lane, kind, chat_id, payload, status, attempts, "
         "not_before, created_at) VALUES (:key, 3, 'notice', :chat, :payload, :status, 0, "
         ":now, :now)",
         [{"key": "queued", "chat": RESIDENT, "payload": payload, "status": "pending",
           "now": now},
          {"key": "sent", "chat": RESIDENT, "payload": payload, "status": "sent", "now": now},
          {"key": "alert", "chat": OFFICER, "payload": payload, "status": "pending",
           "now": now}]),
        ("INSERT INTO chat_messages (chat_id, message_id, at) VALUES (:chat, 7, :now)",
         [{"chat": RESIDENT, "now": now}]),
        ("INSERT INTO fsm_state (key, state, data, updated_at) VALUES (:key, 'Report:category', "
         ":data, :now)",
         [{"key": LEGACY_KEY, "data": draft, "now": now}]),
        ("INSERT INTO audit_log (at, actor_id, action) VALUES (:now, :id, 'subscribed')",
         [{"id": RESIDENT, "now": now}]),
    ]  # fmt: skip
    try:
        async with engine.begin() as connection:
            for statement, values in rows:
                # Typed, so SQLite stores the time as the ORM would (and Python 3.12+'s
                # deprecated default datetime adapter is never reached).
                typed = text(statement).bindparams(bindparam("now", type_=DateTime(True)))
                await connection.execute(typed, values)
    finally:
        await engine.dispose()


async def test_rows_from_before_0006_no_longer_name_a_resident(
    empty_database_url: str, cipher: Cipher
) -> None:
    await upgrade_database(empty_database_url, "0005")
    await _legacy_rows(empty_database_url, cipher)
    await upgrade_database(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        assert await upgrade_identities(engine) > 0
        # Read with the bot's connection still open: nothing has checkpointed the WAL on
        # closing, so only the conversion's own clean-up can have cleared the old pages.
        raw = _sqlite_files(empty_database_url)
        assert await upgrade_identities(engine) == 0, "a second run finds nothing to do"
        async with engine.connect() as connection:
            users = {row.id: row for row in await connection.execute(select(User.__table__))}
            subscriptions = list(await connection.scalars(select(Subscription.user_id)))
            outbox = {
                row.dedupe_key: row for row in await connection.execute(select(OutboxMessage))
            }
            chat_keys = list(await connection.scalars(select(ChatMessage.chat_key)))
            states = list(await connection.scalars(select(FsmState.key)))
            actors = list(await connection.scalars(text("SELECT actor_id FROM audit_log")))
    finally:
        await engine.dispose()

    alias = pseudonym(RESIDENT)
    assert set(users) == {alias, OFFICER}
    assert users[alias].chat == str(RESIDENT)  # decrypted by the column's type
    assert subscriptions == [alias] and actors == [alias] and chat_keys == [chat_key(RESIDENT)]
    # The queued message still reaches her: her chat now travels in its payload.
    queued = outbox["queued"]
    assert queued.recipient_id == alias
    assert queued.payload["chat_id"] == RESIDENT
    assert (outbox["sent"].recipient_id, outbox["sent"].payload) == (None, None)
    assert outbox["alert"].recipient_id == OFFICER  # staff stay as they were
    assert states == [f"{alias}:{alias}:{BOT}:::default"]

    if raw is not None:
        for needle in (str(RESIDENT).encode(), RESIDENT.to_bytes(6, "big")):
            assert needle not in raw, "an old page still holds the resident's id"
        assert OFFICER.to_bytes(6, "big") in raw


def _sqlite_files(database_url: str) -> bytes | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    path = Path(url.database or "")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
