from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.tracking_code import ALPHABET, new_code, normalize_code


def test_codes_are_distinct_and_well_formed() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert normalize_code(code) == code


@given(st.text(alphabet=ALPHABET, min_size=8, max_size=8))
def test_what_people_type_is_understood(symbols: str) -> None:
    code = f"LA-{symbols[:4]}-{symbols[4:]}"
    assert normalize_code(code.lower()) == code
    assert normalize_code(f" la {symbols[:4]} {symbols[4:]} ") == code
    assert normalize_code(symbols) == code


@given(st.text(max_size=30))
def test_garbage_is_rejected_not_crashing(text: str) -> None:
    result = normalize_code(text)
    assert result is None or result.startswith("LA-")


def test_confusable_characters_are_not_used() -> None:
    assert not set("0O1IL2Z5S6G8B") & set(ALPHABET)
    assert normalize_code("LA-0000-0000") is None
