"""Retiring the key behind the pseudonyms (the last one of DATA_KEY) moves every resident to
the pseudonym the new key gives, with everything that follows them: found again by their
Telegram id, subscribed as before, their draft and their /hapus message ids still theirs."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import storage.crypto
from storage.crypto import Cipher, configure_cipher
from storage.db import create_engine, create_session_factory
from storage.fsm_storage import SQLAlchemyStorage
from storage.key_rotation import rotate_keys
from storage.migrate import upgrade_database
from storage.models import utcnow
from storage.repositories import Repo
from storage.repositories.subscriptions import SubscriptionRepo

RESIDENT = 7_345_600_123
DRAFT = StorageKey(bot_id=123456, chat_id=RESIDENT, user_id=RESIDENT)


@pytest.fixture
def swapped_cipher(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test swaps the process-wide cipher; the previous one comes back afterwards.
    monkeypatch.setattr(storage.crypto, "_cipher", storage.crypto._cipher)


async def _resident_with_everything(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session, session.begin():
        repo = Repo.over(session)
        user = await repo.users.seen(RESIDENT)
        await SubscriptionRepo(session).subscribe(user.id, None, utcnow(), keep_place=False)
        await repo.messages.remember(RESIDENT, 41)
    await SQLAlchemyStorage(sessions).set_data(DRAFT, {"category": "psikis"})
    return user.id


async def test_residents_follow_a_new_index_key(
    empty_database_url: str, swapped_cipher: None
) -> None:
    old_key, new_key = Cipher.generate_key(), Cipher.generate_key()
    configure_cipher(Cipher([old_key]))
    await upgrade_database(empty_database_url)
    engine = create_engine(empty_database_url)
    sessions = create_session_factory(engine)
    try:
        old_alias = await _resident_with_everything(sessions)

        # Step 2 of the README: DATA_KEY=new,old, rotate: re-encrypted, still the old index.
        both = Cipher([new_key, old_key])
        configure_cipher(both)
        assert (await rotate_keys(engine, both)).residents_rekeyed == 0

        # Step 3: the old key retired. Its pseudonyms no longer come out of the index key.
        only_new = Cipher([new_key])
        configure_cipher(only_new)
        assert only_new.pseudonym(RESIDENT) != old_alias
        summary = await rotate_keys(engine, only_new)
        assert summary.residents_rekeyed == 1
        assert (await rotate_keys(engine, only_new)).residents_rekeyed == 0

        async with sessions() as session:
            repo = Repo.over(session)
            user = await repo.users.by_telegram_id(RESIDENT)
            assert user is not None and user.id == only_new.pseudonym(RESIDENT)
            assert await SubscriptionRepo(session).active(user.id) is not None
            assert await repo.messages.deletable(RESIDENT) == [41]
        assert await SQLAlchemyStorage(sessions).get_data(DRAFT) == {"category": "psikis"}
    finally:
        await engine.dispose()
