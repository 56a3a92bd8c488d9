"""The table of Bot API methods and what a method implementation receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from playground.emulator.params import Params
from playground.emulator.state import BotState, EmulatorState


class Runtime(Protocol):
    """The parts of the running emulator a method may need beyond the state."""

    def is_down(self) -> bool: ...

    def webhook_changed(self, bot: BotState) -> None: ...


@dataclass
class CallContext:
    state: EmulatorState
    bot: BotState
    params: Params
    runtime: Runtime

    def users(self) -> dict[int, dict[str, Any]]:
        return {uid: user.to_api() for uid, user in self.state.users.items()}


Handler = Callable[[CallContext], Awaitable[Any]]
_METHODS: dict[str, tuple[str, Handler]] = {}


def api_method(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under one or more canonical method names."""

    def register(handler: Handler) -> Handler:
        for name in names:
            _METHODS[name.lower()] = (name, handler)
        return handler

    return register


def find_method(name: str) -> tuple[str, Handler] | None:
    """(canonical name, handler); method names are case-insensitive as in Telegram."""
    return _METHODS.get(name.lower())


def known_methods() -> list[str]:
    return sorted(canonical for canonical, _ in _METHODS.values())


def is_counted_send(method: str) -> bool:
    """Whether the flood limits apply: messages that appear in a chat."""
    lowered = method.lower()
    if lowered == "sendchataction":
        return False
    return lowered.startswith(("send", "copy", "forward"))
