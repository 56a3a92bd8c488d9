"""A resident driving the bot through the emulator, naming buttons by their msgid."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from playground.emulator import BotMessage, SimulatedUser
from tests.translations import translate, translate_plural

CODE = re.compile(r"LA-[A-Z0-9]{4}-[A-Z0-9]{4}")


@dataclass
class Resident:
    user: SimulatedUser
    language: str = "id"
    answers: dict[str, Any] = field(default_factory=dict)
    # How long to wait for each answer: a person waits a while for a bot that restarts. Only a
    # failing wait takes this long; 5 s was too short for the first answer of a test (the bot
    # builds its first types' schemas then) on a loaded machine: CI beside `make test`.
    patience: float = 15.0

    def t(self, msgid: str) -> str:
        return translate(self.language, msgid)

    def tn(self, singular: str, count: int) -> str:
        """A plural message (ngettext) as shown for `count`, placeholders filled."""
        return translate_plural(self.language, singular, count).format(count=count)

    async def press(self, msgid: str, *, literal: bool = False) -> Any:
        """Tap a button as a person does: as soon as it is on the screen."""
        text = msgid if literal else self.t(msgid)
        return await when_shown(lambda: self.user.press(text), self.patience)

    async def tap_reply(self, msgid: str) -> Any:
        text = self.t(msgid)
        return await when_shown(lambda: self.user.tap_reply(text), self.patience)

    async def expect(self, msgid: str, *, literal: bool = False) -> BotMessage:
        text = msgid if literal else self.t(msgid)
        return await self.user.wait_for(_first_line(text), timeout=self.patience)

    async def start(self) -> None:
        await self.user.send_command("/start")
        await self.user.wait_for("Lapor Aman", timeout=self.patience)
        if self.language != "id":
            await self.user.send_command("/bahasa")
            await self.user.wait_for(
                translate("id", "Choose your language:"), timeout=self.patience
            )
            await self.user.press("🇬🇧 English")
            await self.user.wait_for("Language changed to English.", timeout=self.patience)
            await self.expect("👋 <b>Welcome to Lapor Aman</b>")
        await self.press("✅ I agree")
        await self.expect("What would you like to do?")

    async def begin_report(self) -> None:
        await self.user.send_command("/lapor")
        await self.expect("<b>Is anyone in danger right now?</b>")

    async def answer_until_description(
        self,
        *,
        danger: str = "No",
        relation: str = "Witness",
        category: str = "Sexual violence",
        victim: str = "Girl",
        age: str = "13–17 years",
        kecamatan: str = "Sabangau",
        kelurahan: str = "Kalampangan",
        landmark: str | None = None,
    ) -> None:
        await self.press(danger)
        await self.expect("<b>Who is making this report?</b>")
        await self.press(relation)
        await self.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
        await self.press(category)
        await self.expect("<b>Who is the victim?</b>")
        await self.press(victim)
        await self.expect("<b>About how old is the victim?</b>")
        await self.press(age)
        await self.expect("<b>Where did it happen?</b>\nChoose the kecamatan, or type its name.")
        await self.press(kecamatan, literal=True)
        await self.expect("<b>Which kelurahan?</b>\nChoose one, or type its name.")
        await self.press(kelurahan, literal=True)
        await self.user.wait_for(_first_line(self.t(LANDMARK_Q)), timeout=self.patience)
        if landmark is None:
            await self.press("Skip ➡️")
        else:
            await self.user.send_text(landmark)
        await self.user.wait_for(_first_line(self.t(LOCATION_Q)), timeout=self.patience)
        await self.tap_reply("Skip ➡️")
        await self.expect("<b>When did it happen?</b>")
        await self.press("Today")
        await self.user.wait_for(_first_line(self.t(DESCRIPTION_Q)), timeout=self.patience)

    async def describe(self, *parts: str) -> None:
        for part in parts:
            await self.user.send_text(part)
            await self.expect("✓ Saved. You can add more, or press Done.")
        await self.press("✅ Done")
        await self.user.wait_for(_first_line(self.t(EVIDENCE_Q)), timeout=self.patience)

    async def finish_anonymously(self, *, consent: bool = False) -> BotMessage:
        await self.press("Skip ➡️")
        await self.user.wait_for(_first_line(self.t(IDENTITY_Q)), timeout=self.patience)
        await self.press("🕶 Anonymous")
        await self.user.wait_for(_first_line(self.t(CONSENT_Q)), timeout=self.patience)
        await self.press("Yes, write to me here" if consent else "No")
        return await self.expect("<b>Step 11 of 11 — please check your report</b>")

    async def send(self) -> str:
        await self.press("✅ Send")
        message = await self.user.wait_for(CODE_HINT[self.language], timeout=self.patience)
        match = CODE.search(message.text)
        assert match, message.text
        # The update commits after its last reply (the emergency numbers): wait for it.
        await self.user.wait_idle(timeout=self.patience)
        return match.group(0)


LANDMARK_Q = (
    "<b>Is there a landmark or address that helps find the place?</b>\n"
    "For example a street, RT/RW, a school or a shop. Type it, or skip."
)
LOCATION_Q = (
    "<b>Do you want to share the location on a map?</b>\n"
    "Only if it is safe for you. Press the button below, or skip."
)
DESCRIPTION_Q = (
    "<b>Please tell us what happened, in your own words.</b>\n"
    "You can write several messages, or send a voice note if typing is hard. "
    "Press <b>Done</b> when you have finished."
)
EVIDENCE_Q = (
    "<b>Do you have photos, videos, voice notes or documents?</b>\n"
    "This is optional. Send up to {limit} files only if it is safe, then press Done."
)
IDENTITY_Q = (
    "<b>Do you want to report anonymously?</b>\n"
    "Anonymous: we store no name, username or phone number with the report, and the "
    'officer sees "Anonymous".'
)
PHONE_Q = (
    "<b>May an officer call you?</b>\n"
    "If so, share your phone number with the button below: it is used only to call "
    "you about this report. If not, skip: nobody will call you."
)
CONSENT_Q = (
    "<b>May we write to you here, in this chat?</b>\n"
    "For example when an officer takes your report or has a question. If you choose No, "
    "the report keeps no link to this chat: your tracking code will be the only way to "
    "check on it."
)
CODE_HINT = {"id": "LA-", "en": "LA-"}


async def when_shown(action: Callable[[], Awaitable[Any]], patience: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            return await action()
        except AssertionError as missing:
            if "no inline button" not in str(missing) and "no reply keyboard" not in str(missing):
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)


def _first_line(text: str) -> str:
    """The first line as a person sees it (tags removed, placeholders cut off)."""
    line = text.split("\n", 1)[0]
    line = re.sub(r"<[^>]+>", "", line)
    return line.split("{", 1)[0].strip()
