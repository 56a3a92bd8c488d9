"""What the emulator remembers about the bot's behaviour: every call and a few counters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

COUNTERS = ("sent", "429", "403", "5xx", "paid")


@dataclass
class Call:
    """One Bot API request as the emulator answered it."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    at: float
    token: str
    result: Any = None
    via: str = "http"


class Stats(Mapping[str, Any]):
    """Counters per bot token: ``stats[token]["429"]``; ``stats["429"]`` sums all tokens."""

    def __init__(self) -> None:
        self._by_token: dict[str, dict[str, int]] = {}

    def count(self, token: str, counter: str, amount: int = 1) -> None:
        self.for_token(token)[counter] += amount

    def for_token(self, token: str) -> dict[str, int]:
        return self._by_token.setdefault(token, dict.fromkeys(COUNTERS, 0))

    def total(self, counter: str) -> int:
        return sum(counters[counter] for counters in self._by_token.values())

    def __getitem__(self, key: str) -> Any:
        if key in COUNTERS:
            return self.total(key)
        return self.for_token(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_token)

    def __len__(self) -> int:
        return len(self._by_token)

    def __repr__(self) -> str:
        return f"Stats({self._by_token!r})"
