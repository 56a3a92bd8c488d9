"""Staff members and residents driving the bot through the emulator, in English.

The staff texts are new and not translated yet, so every person here first switches to
English with /bahasa (the English catalog is the msgids themselves): these tests keep passing
once the Indonesian translations arrive.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from playground.emulator import BotAPIEmulator, BotMessage, CallbackAnswer, SimulatedUser
from tests.fixtures.timeline import until

INVITE_LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


@dataclass
class Person:
    user: SimulatedUser

    @classmethod
    async def english(cls, emulator: BotAPIEmulator, user_id: int, first_name: str) -> Person:
        person = cls(emulator.user(user_id=user_id, first_name=first_name, language_code="en"))
        await person.user.send_command("/bahasa")
        await person.press("🇬🇧 English")
        await person.user.wait_for("Language changed to English.")
        await person.user.wait_idle(quiet=0.1)
        return person

    async def command(self, command: str, args: str | None = None, *, expect: str) -> BotMessage:
        await self.user.send_command(command, args)
        return await self.user.wait_for(expect)

    async def say(self, text: str, *, expect: str) -> BotMessage:
        await self.user.send_text(text)
        return await self.user.wait_for(expect)

    async def press(self, text: str, message: BotMessage | None = None) -> CallbackAnswer | None:
        """Tap an inline button as soon as it is on the screen."""
        answer: CallbackAnswer | None = await _when_shown(lambda: self.user.press(text, message))
        return answer

    async def invite(self, kelurahan: str) -> tuple[str, str]:
        """/undang: the bot's username and the invitation code from the link."""
        message = await self.command("/undang", kelurahan, expect="Officer invitation for")
        match = INVITE_LINK.search(message.text)
        assert match, message.text
        return match.group(1), match.group(2)


async def _when_shown(action: Callable[[], Awaitable[Any]], patience: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            return await action()
        except AssertionError as missing:
            if "no inline button" not in str(missing):
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)


async def becomes(get: Callable[[], Awaitable[Any]], expected: Any, within: float = 5.0) -> None:
    """Assert that `get()` returns `expected`, once the update that changes it has committed."""
    last: list[Any] = []

    async def check() -> bool:
        last[:] = [await get()]
        return bool(last[0] == expected)

    try:
        await until(check, repr(expected), within=within)
    except AssertionError:
        raise AssertionError(f"expected {expected!r}, still {last[0]!r} after {within} s") from None
