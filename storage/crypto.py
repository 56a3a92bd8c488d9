"""Encryption at rest for sensitive columns.

Values are AES-256-GCM tokens: base64 of a version byte, the key's 4-byte id, a random 12-byte
nonce and the ciphertext with its tag (the version and key id are authenticated too). The
first DATA_KEY encrypts and every key decrypts, so `DATA_KEY=new,old` keeps old rows readable
while they are re-encrypted (storage/key_rotation.py). DATA_KEY keeps Fernet's key format (32
url-safe base64 bytes); each key's AES key is derived from it with HKDF. Rows written before
this format are Fernet tokens (AES-128-CBC + HMAC, with their creation time in clear) and still
read; rotation rewrites them. AES-GCM is several times cheaper per value than Fernet (README,
"Benchmarks"). Values are encrypted before SQLAlchemy hands them to the driver, so neither the
SQLite file, its WAL nor PostgreSQL pages ever hold them in clear. The blind index lets us find
rows by an encrypted value (a chat id) without storing the value itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage import json_codec

# Telegram user ids have at most 52 significant bits and group chats are negative, so ids from
# here up are pseudonyms and never a real chat (storage/identity.py).
PSEUDONYM_FLOOR = 1 << 62
_PSEUDONYMS_KEPT = 4096
# The first byte of a token: Fernet's own version byte, and ours.
_FERNET = b"\x80"
_AES_GCM = b"\x01"
# The version byte and the key's id, authenticated with each value.
_HEADER = 1 + 4
# A random 96-bit nonce per value: NIST SP 800-38D allows 2**32 of them per key, decades of
# this bot's writes; rotating DATA_KEY starts a new count.
_NONCE = 12


class KeyError_(Exception):
    """DATA_KEY is missing or malformed."""


class Cipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise KeyError_("DATA_KEY is required: generate one with `python -m bot genkey`")
        try:
            fernets = [Fernet(key.encode()) for key in keys]
        except (ValueError, TypeError) as exc:
            raise KeyError_(
                "DATA_KEY must be keys of 32 url-safe base64 bytes (`python -m bot genkey`), "
                "comma-separated"
            ) from exc
        self._legacy = MultiFernet(fernets)
        aeads = [_aead_key(key) for key in keys]
        self._header, self._aead = aeads[0]
        # Should two keys' 4-byte ids ever collide, the first key's wins.
        self._by_header = {header: aead for header, aead in reversed(aeads)}
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
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._header)
        return base64.urlsafe_b64encode(self._header + nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(token)
            if raw[:1] == _FERNET:
                return self._legacy.decrypt(token.encode("ascii")).decode("utf-8")
            aead = self._by_header.get(raw[:_HEADER])
            if aead is None:
                raise InvalidTag
            nonce, sealed = raw[_HEADER : _HEADER + _NONCE], raw[_HEADER + _NONCE :]
            return aead.decrypt(nonce, sealed, raw[:_HEADER]).decode("utf-8")
        except (InvalidTag, InvalidToken, binascii.Error, ValueError) as exc:
            raise KeyError_(
                "a stored value cannot be decrypted with the configured DATA_KEY"
            ) from exc

    def is_current(self, token: str) -> bool:
        """Written in this format with the first key (what rotation leaves alone)."""
        try:
            raw = base64.urlsafe_b64decode(token)
        except (binascii.Error, ValueError):
            return False
        return raw[:_HEADER] == self._header

    def rotate(self, token: str) -> str:
        return self.encrypt(self.decrypt(token))

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


def _aead_key(key: str) -> tuple[bytes, AESGCM]:
    """The AES-256 key derived from one DATA_KEY, and the header naming it in tokens."""
    secret = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"lapor-aman/at-rest/aes-256-gcm"
    ).derive(base64.urlsafe_b64decode(key))
    key_id = hashlib.sha256(b"lapor-aman/key-id/" + secret).digest()[:4]
    return _AES_GCM + key_id, AESGCM(secret)


def configure_cipher(cipher: Cipher) -> None:
    """Install the process-wide cipher used by encrypted columns (done once at start-up)."""
    global _cipher
    _cipher = cipher


def get_cipher() -> Cipher:
    if _cipher is None:
        raise KeyError_("encryption is not configured: call storage.crypto.configure_cipher()")
    return _cipher


class EncryptedText(TypeDecorator[str]):
    """A text column stored as an encrypted token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else get_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else get_cipher().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as one encrypted token (conversation drafts, evidence sources)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return get_cipher().encrypt(json_codec.dumps(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json_codec.loads(get_cipher().decrypt(value))
