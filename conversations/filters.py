"""Filters that are checked on the event loop.

aiogram awaits a filter that is a coroutine, and hands anything else (a bare `F` expression, a
`State` given as a filter) to `asyncio.to_thread`: a round trip through a worker thread, about
0.1 ms of CPU, for each check of each update that reaches it, which is most of the routers for
most updates. So rules are given as `Matches(F…)` and states as `StateFilter(…)`; a test in
tests/conversations/test_update_session.py fails when an update hands work to a thread.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject
from aiogram.utils.magic_filter import MagicFilter


class Matches(Filter):
    """An `F` rule, resolved as aiogram resolves it (a dict from `.as_()` is passed on)."""

    def __init__(self, rule: MagicFilter) -> None:
        self.rule = rule

    async def __call__(self, event: TelegramObject) -> Any:
        return self.rule.resolve(event)


PRIVATE_CHAT = Matches(F.chat.type == "private")
TEXT = Matches(F.text)
NO_TEXT = Matches(~F.text)
COMMAND = Matches(F.text.startswith("/"))
NOT_A_COMMAND = Matches(~F.text.startswith("/"))


class CommandLike(Filter):
    """Whether aiogram's Command filters could take the message: the first word of its text,
    or of a caption, starts with "/" (they split it on whitespace, so leading spaces don't
    count)."""

    def __init__(self, *, expected: bool = True) -> None:
        self.expected = expected

    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption or ""
        return text.lstrip().startswith("/") is self.expected
