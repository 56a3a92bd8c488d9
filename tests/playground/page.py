"""The playground page as a person uses it, for the browser tests."""

from __future__ import annotations

import re
from typing import Any

from tests.translations import translate, translate_plural

TIMEOUT_MS = 8000


def t(msgid: str) -> str:
    return translate("id", msgid)


def tn(singular: str, count: int) -> str:
    """A plural message (ngettext) as the page shows it for `count`."""
    return translate_plural("id", singular, count).format(count=count)


def first_line(text: str) -> str:
    """What a person sees of a catalog message's first line (tags and placeholders cut)."""
    line = re.sub(r"<[^>]+>", "", text.split("\n", 1)[0])
    return line.split("{", 1)[0].strip()


class ChatPage:
    """One person's column on the page."""

    def __init__(self, page: Any, person: str) -> None:
        self.page = page
        self.root = page.locator(f"#chat-{person}")

    async def expect(self, text: str, *, timeout_ms: int = TIMEOUT_MS) -> Any:
        """The last bot message that shows `text`, once it is there."""
        message = self.root.locator(".message.in").filter(has_text=text).last
        await message.wait_for(timeout=timeout_ms)
        return message

    async def press(self, text: str, *, after: str | None = None) -> None:
        """Tap the newest inline button labelled `text` (after the message showing `after`)."""
        if after is not None:
            await self.expect(after)
        button = self.root.locator("button.inline", has_text=text).last
        await button.click(timeout=TIMEOUT_MS)

    async def tap_reply(self, text: str) -> None:
        await self.root.locator(f'button.reply[data-text="{text}"]').click(timeout=TIMEOUT_MS)

    async def type(self, text: str) -> None:
        field = self.root.locator("input.text")
        await field.fill(text)
        await field.press("Enter")

    async def attach(
        self, name: str, mime: str, content: bytes, *, caption: str | None = None
    ) -> None:
        """Send a file; the text in the input field goes with it as its caption."""
        if caption is not None:
            await self.root.locator("input.text").fill(caption)
        await self.root.locator("input[type=file]").set_input_files(
            {"name": name, "mimeType": mime, "buffer": content}
        )
