"""The start-up heap is frozen: full garbage collections no longer walk it (bot/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.heap import freeze_start_up_heap


class _Kelurahan:
    def __init__(self, number: int) -> None:
        self.number = number


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_start_up_objects_leave_the_collectors_generations(unfrozen: None) -> None:
    start_up = [_Kelurahan(index) for index in range(10_000)]
    frozen = freeze_start_up_heap()
    assert frozen >= len(start_up)
    tracked = {id(item) for item in gc.get_objects()}
    assert not any(id(item) in tracked for item in start_up)
    later = _Kelurahan(-1)
    assert any(item is later for item in gc.get_objects())  # still collected as usual
