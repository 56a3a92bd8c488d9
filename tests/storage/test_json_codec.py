"""Drafts, outbox payloads and Bot API calls are JSON through storage/json_codec.py (orjson):
whatever the standard library's json read and wrote before, it still does, the same way."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.dialects import sqlite

from storage import json_codec
from storage.crypto import Cipher, EncryptedJSON


@dataclass
class StepNote:
    step: str


DRAFT = {
    "kategori": "fisik",
    "description_parts": ["Ibu dipukul di dekat pasar — tolong 🙏", 'kata "dia"'],
    "lokasi": {"lat": -2.2109871357, "lon": 113.9137562468},
    "step": 4,
    "anonymous": True,
    "evidence": [],
    "none": None,
}


def test_a_draft_comes_back_as_it_went_in_and_reads_as_json_wrote_it() -> None:
    written = json_codec.dumps(DRAFT)
    assert json_codec.loads(written) == DRAFT
    # The same text json wrote (compact, non-ASCII as it is): rows written before read alike.
    assert written == json.dumps(DRAFT, ensure_ascii=False, separators=(",", ":"))
    assert json_codec.loads(json.dumps(DRAFT)) == DRAFT


def test_keys_that_are_not_text_are_written_as_json_writes_them() -> None:
    assert json_codec.loads(json_codec.dumps({1: "a", 2.5: "b", None: "c"})) == json.loads(
        json.dumps({1: "a", 2.5: "b", None: "c"})
    )


@pytest.mark.parametrize(
    "value",
    [
        # A lone surrogate: Telegram's JSON can carry one as an escape (half an emoji).
        {"text": "patah \ud83d hati"},
        # Beyond 64 bits: orjson would refuse it, or read it back as a float.
        {"n": 2**70},
    ],
)
def test_what_orjson_refuses_goes_the_standard_librarys_way(value: dict[str, object]) -> None:
    written = json_codec.dumps(value)
    written.encode("utf-8")  # writable to the database and the wire as it is
    assert json_codec.loads(written) == value
    assert json_codec.loads(json.dumps(value)) == value


def test_text_that_is_not_json_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_codec.loads('{"ok": tru')


@pytest.mark.parametrize(
    "value", [object(), datetime(2026, 12, 6, tzinfo=UTC), date(2026, 12, 6), StepNote("kategori")]
)
def test_what_json_cannot_write_is_refused_as_json_refuses_it(value: object) -> None:
    """orjson would write a datetime or a dataclass; a draft must not keep one as text
    unnoticed."""
    with pytest.raises(TypeError):
        json.dumps({"value": value})
    with pytest.raises(TypeError):
        json_codec.dumps({"value": value})


def test_an_encrypted_draft_with_half_an_emoji_is_stored_and_read_back(cipher: Cipher) -> None:
    """Before, json wrote the lone surrogate as it was and the encryption could not encode
    it: the update failed. Now it is stored escaped and read back the same."""
    column = EncryptedJSON()
    dialect = sqlite.dialect()
    value = {"description_parts": ["patah \ud83d hati"]}
    stored = column.process_bind_param(value, dialect)
    assert stored is not None and "patah" not in stored
    assert column.process_result_value(stored, dialect) == value
