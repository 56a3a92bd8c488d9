"""Simulated people: residents walking the whole report, and the echo bot's users.

A resident answers each question the moment it is on the screen, as tests/conversations do,
but waits on the emulator's notifications instead of polling for buttons (fifty residents
polling every 20 ms would cost the bench process more CPU than the emulator itself). Texts are
found by msgid in the catalogs, like the tests, so a reworded question does not break this.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass
from functools import cache

from bench.harness import REPO
from playground.emulator import BotMessage, SimulatedUser
from tests.conversations.resident import (
    CONSENT_Q,
    DESCRIPTION_Q,
    EVIDENCE_Q,
    IDENTITY_Q,
    LANDMARK_Q,
    LOCATION_Q,
)
from tests.translations import translate

CODE = re.compile(r"LA-[A-Z0-9]{4}-[A-Z0-9]{4}")
LANGUAGE = "id"
DESCRIPTION = "Tetangga memukul anaknya setiap malam, terdengar sampai ke rumah kami."
# Kinds of the updates one full report sends, in order (see Resident.walk_to_summary and
# Resident.send): the echo bot's users send the same mix.
REPORT_UPDATES = (
    *("text", "press", "text"),
    *(["press"] * 8),
    *("text", "press", "text"),
    *(["press"] * 4),
    "press",
)


@dataclass(frozen=True)
class Place:
    kecamatan: str
    kelurahan: str


@cache
def places() -> tuple[Place, ...]:
    """Every kelurahan of the gazetteer the bot seeds, with its kecamatan (button labels)."""
    data = json.loads((REPO / "storage" / "seed" / "gazetteer.json").read_text("utf-8"))
    return tuple(
        Place(kecamatan["name"], kelurahan["name"])
        for kecamatan in data["kecamatan"]
        for kelurahan in kecamatan["kelurahan"]
    )


def t(msgid: str) -> str:
    return translate(LANGUAGE, msgid)


def first_line(text: str) -> str:
    """The first line as a person sees it (tags removed, placeholders cut off)."""
    line = re.sub(r"<[^>]+>", "", text.split("\n", 1)[0])
    return line.split("{", 1)[0].strip()


class Resident:
    """One person reporting through the bot; counts the updates it causes."""

    def __init__(self, user: SimulatedUser, timeout: float = 120.0) -> None:
        self.user = user
        self.timeout = timeout
        self.updates = 0
        self._screen: BotMessage | None = None

    async def _expect(self, msgid: str, *, literal: bool = False) -> BotMessage:
        text = msgid if literal else first_line(t(msgid))
        self._screen = await self.user.wait_for(text, timeout=self.timeout)
        return self._screen

    async def _press(self, label: str, *, literal: bool = False) -> None:
        self.updates += 1
        await self.user.press(
            label if literal else t(label), message=self._screen, timeout=self.timeout
        )

    async def _text(self, text: str) -> None:
        self.updates += 1
        await self.user.send_text(text)

    async def _command(self, command: str) -> None:
        self.updates += 1
        await self.user.send_command(command)

    async def walk_to_summary(self, place: Place) -> None:
        """From /start to the summary with Kirim on it: 18 updates (19 with Kirim)."""
        await self._command("/start")
        await self._expect("Lapor Aman", literal=True)
        await self._press("✅ I agree")
        await self._expect("What would you like to do?")
        await self._command("/lapor")
        await self._expect("<b>Is anyone in danger right now?</b>")
        steps = [
            ("No", "<b>Who is making this report?</b>", False),
            ("Witness", "<b>What kind of incident is it?</b>", False),
            ("Sexual violence", "<b>Who is the victim?</b>", False),
            ("Girl", "<b>About how old is the victim?</b>", False),
            ("13–17 years", "<b>Where did it happen?</b>", False),
            (place.kecamatan, "<b>Which kelurahan?</b>", True),
            (place.kelurahan, LANDMARK_Q, True),
            ("Skip ➡️", LOCATION_Q, False),
        ]
        for label, question, literal in steps:
            await self._press(label, literal=literal)
            await self._expect(question)
        self.updates += 1
        await self.user.tap_reply(t("Skip ➡️"))
        await self._expect("<b>When did it happen?</b>")
        await self._press("Today")
        await self._expect(DESCRIPTION_Q)
        await self._text(DESCRIPTION)
        await self._expect("✓ Saved. You can add more, or press Done.")
        for label, question in (
            ("✅ Done", EVIDENCE_Q),
            ("Skip ➡️", IDENTITY_Q),
            ("🕶 Anonymous", CONSENT_Q),
            ("No", "<b>Step 11 of 11 — please check your report</b>"),
        ):
            await self._press(label)
            await self._expect(question)

    async def send(self) -> tuple[str, float]:
        """Press Kirim on the summary; the tracking code and when the press was enqueued
        (time.monotonic(), the emulator's clock for chat events)."""
        pressed_at = time.monotonic()
        await self._press("✅ Send")
        message = await self._expect("LA-", literal=True)
        match = CODE.search(message.text)
        if match is None:
            raise AssertionError(f"no tracking code in {message.text!r}")
        return match.group(0), pressed_at

    async def report(self, place: Place) -> str:
        await self.walk_to_summary(place)
        code, _ = await self.send()
        return code


class EchoUser:
    """The echo bot's user: the same kinds of updates as a report, each awaited."""

    def __init__(self, user: SimulatedUser, timeout: float = 120.0) -> None:
        self.user = user
        self.timeout = timeout
        self.updates = 0

    async def run(
        self, kinds: tuple[str, ...] = REPORT_UPDATES, *, think: float = 0.0, seed: int = 0
    ) -> None:
        """Each update as soon as the last is answered; with `think`, after a pause of about
        that long (half to one and a half times, at random; the first pause up to that long,
        so that people do not start together). Figure 1's floor at our bot's pace."""
        last: BotMessage | None = None
        rng = random.Random(seed)
        for index, kind in enumerate(kinds):
            if think:
                await asyncio.sleep(think * (rng.random() if index == 0 else rng.uniform(0.5, 1.5)))
            self.updates += 1
            if kind == "press" and last is not None:
                answer = await self.user.press("again", message=last, timeout=self.timeout)
                if answer is None:
                    raise AssertionError("the echo bot did not answer a callback")
                continue
            text = f"pesan {index}"
            await self.user.send_text(text)
            last = await self.user.wait_for(text, timeout=self.timeout)
