"""Encryption at rest for sensitive columns.

Fernet (AES-128-CBC + HMAC) through MultiFernet: the first key encrypts, every key decrypts,
so `DATA_KEY=new,old` keeps old rows readable while they are re-encrypted. Values are encrypted
before SQLAlchemy hands them to the driver, so neither the SQLite file, its WAL nor PostgreSQL
pages ever hold them in clear. The blind index lets us find rows by an encrypted value (a chat
id) without storing the value itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Telegram user ids have at most 52 significant bits and group chats are negative, so ids from
# here up are pseudonyms and never a real chat (storage/identity.py).
PSEUDONYM_FLOOR = 1 << 62
_PSEUDONYMS_KEPT = 4096


class KeyError_(Exception):
    """DATA_KEY is missing or malformed."""


class Cipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise KeyError_("DATA_KEY is required: generate one with `python -m bot genkey`")
        try:
            self._fernets = [Fernet(key.encode()) for key in keys]
        except (ValueError, TypeError) as exc:
            raise KeyError_(
                "DATA_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
            ) from exc
        self._multi = MultiFernet(self._fernets)
        # The blind index must not change when keys rotate, or lookups would miss old rows:
        # it is derived from the *last* (oldest) key, which stays in the list during rotation.
        self._index_key = hashlib.sha256(b"lapor-aman/blind-index/" + keys[-1].encode()).digest()
        # An update asks for the same few people's pseudonyms about twenty times (each
        # conversation-state key names two): the recent ones are remembered (README,
        # "Benchmarks", figure 6).
        self._pseudonyms: dict[int, int] = {}

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise KeyError_(
                "a stored value cannot be decrypted with the configured DATA_KEY"
            ) from exc

    def rotate(self, token: str) -> str:
        return self._multi.rotate(token.encode("ascii")).decode("ascii")

    def blind_index(self, value: str) -> str:
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def pseudonym(self, telegram_id: int) -> int:
        """A resident's id at rest (storage/identity.py): keyed, stable, in [2**62, 2**63)."""
        found = self._pseudonyms.get(telegram_id)
        if found is None:
            if len(self._pseudonyms) >= _PSEUDONYMS_KEPT:
                self._pseudonyms.clear()
            found = self._pseudonyms[telegram_id] = self._pseudonym(telegram_id)
        return found

    def _pseudonym(self, telegram_id: int) -> int:
        digest = hmac.new(self._index_key, b"person:%d" % telegram_id, hashlib.sha256).digest()
        return PSEUDONYM_FLOOR | (int.from_bytes(digest[:8], "big") >> 2)


_cipher: Cipher | None = None


def configure_cipher(cipher: Cipher) -> None:
    """Install the process-wide cipher used by encrypted columns (done once at start-up)."""
    global _cipher
    _cipher = cipher


def get_cipher() -> Cipher:
    if _cipher is None:
        raise KeyError_("encryption is not configured: call storage.crypto.configure_cipher()")
    return _cipher


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else get_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else get_cipher().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as one Fernet token (conversation drafts, evidence sources)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return get_cipher().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(get_cipher().decrypt(value))
