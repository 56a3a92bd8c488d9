"""Screenshots for the README walkthrough, taken from the running demo in headless Chromium.

    .venv/bin/python -m tests.playground.make_screenshots   # writes docs/screenshots/*.png

Reuses the browser tests' steps, so the pictures show what the tests check. Emoji need a
colour emoji font (Debian: fonts-noto-color-emoji); without one they come out as boxes.
"""

from __future__ import annotations

import asyncio
import struct
import tempfile
import zlib
from pathlib import Path

from playwright.async_api import ViewportSize, async_playwright

from playground.demo.demo import Demo
from tests.playground.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.playground.page import ChatPage, first_line, t
from tests.playground.test_browser import consent, file_report

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDE: ViewportSize = {"width": 1280, "height": 760}
PHONE: ViewportSize = {"width": 390, "height": 760}


def picture(width: int = 240, height: int = 150) -> bytes:
    """A small striped PNG as the 'evidence' photo (a 1x1 pixel would not show)."""

    def pixel(x: int, y: int) -> bytes:
        return bytes((200, 90 + y // 3, 60) if (x // 20) % 2 else (240, 200, 80))

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        demo = Demo(port=0, data_dir=Path(data))
        await demo.start()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = await (await browser.new_context(viewport=WIDE)).new_page()
                await page.goto(demo.url)
                await page.locator("#chat-resident").wait_for()
                await page.screenshot(path=OUT / "1-start.png")
                resident = ChatPage(page, "resident")
                officer = ChatPage(page, "officer")
                coordinator = ChatPage(page, "coordinator")
                await consent(resident)
                await coordinator.type("/petugas")
                await officer.type("/kasus")
                code = await file_report(resident, picture(), caption="memar di lengan & kaki")
                await officer.expect(code)
                await officer.root.locator(".message.in .media img").last.wait_for()
                await page.wait_for_timeout(300)
                await page.screenshot(path=OUT / "2-report-and-alert.png")
                await officer.press(f"✅ Terima {code}")
                hello = t(
                    "👋 Hello, we have news for you. Press the button below when you have a moment."
                )
                await resident.press(t("📩 Open"), after=hello)
                update = first_line(t("📄 Update on report <code>{code}</code>: <b>{status}</b>"))
                await resident.expect(update)
                await page.wait_for_timeout(300)
                await page.screenshot(path=OUT / "3-taken.png")
                phone = await (await browser.new_context(viewport=PHONE)).new_page()
                await phone.goto(demo.url + "#officer")
                await phone.locator("#chat-officer .message").last.wait_for()
                await phone.wait_for_timeout(300)
                await phone.screenshot(path=OUT / "4-phone.png")
                # Staff find their tools: the officer's /bantuan, the coordinator's own menu.
                await officer.type("/bantuan")
                await officer.expect("/piket")
                await coordinator.root.locator("button.menu").click()
                await coordinator.root.locator(".commands .command-item").last.wait_for()
                await page.wait_for_timeout(300)
                await page.screenshot(path=OUT / "5-staff-tools.png")
                await coordinator.root.locator("button.menu").click()
                # The case card: the officer reads the whole report again (the description,
                # the map pin), the coordinator opens the case from /kasus (reading buttons,
                # hand it to an officer).
                await officer.press(t("📄 Full report"))
                await officer.expect("kronologi kejadian (1/1)")
                await officer.root.locator(".message.in .location").nth(1).wait_for()
                # Pressing scrolled her chat up to the button: back to the newest message.
                await officer.root.locator(".messages").evaluate(
                    "list => { list.scrollTop = list.scrollHeight; }"
                )
                await coordinator.type("/kasus")
                await coordinator.press(code, after=first_line(t("<b>Open cases ({count})</b>")))
                await coordinator.root.locator(
                    "button.inline", has_text=t("👥 Hand to an officer")
                ).last.wait_for()
                await page.wait_for_timeout(300)
                await page.screenshot(path=OUT / "6-case-card.png")
                await browser.close()
        finally:
            await demo.stop()
    for path in sorted(OUT.glob("*.png")):
        shrink(path)
        print(f"{path} {path.stat().st_size // 1024} KB")


def shrink(path: Path) -> None:
    """A 256-colour palette keeps the committed pictures small; skipped without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


if __name__ == "__main__":
    asyncio.run(main())
