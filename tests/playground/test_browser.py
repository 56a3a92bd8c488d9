"""End to end in headless Chromium: three people on the page, the real bot behind it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from playground.demo.demo import Demo
from tests.playground.conftest import needs_browser
from tests.playground.page import ChatPage, first_line, t, tn

pytestmark = [needs_browser, pytest.mark.slow]

CODE = re.compile(r"LA-[A-Z0-9]{4}-[A-Z0-9]{4}")
# A real (1x1) PNG, so Chromium can show what the officer receives.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f80f00000101000518d84e0000000049454e44ae426082"
)


async def open_page(
    browser: Any, demo: Demo, tab: str = "", **context: Any
) -> tuple[Any, list[str]]:
    page = await (await browser.new_context(**context)).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(demo.url + (f"#{tab}" if tab else ""))
    await page.locator("#chat-resident").wait_for(state="attached")
    return page, errors


async def consent(resident: ChatPage) -> None:
    await resident.root.locator("button.start").click()
    await resident.press(t("✅ I agree"))
    await resident.expect(t("What would you like to do?"))


async def file_report(resident: ChatPage, photo: bytes = PNG, *, caption: str | None = None) -> str:
    """The whole guided report, by buttons, typing and a picture; returns the tracking code."""
    await resident.type("/lapor")
    await resident.press(t("No"), after=first_line(t("<b>Is anyone in danger right now?</b>")))
    await resident.press(t("Witness"), after=first_line(t("<b>Who is making this report?</b>")))
    await resident.press(
        t("Physical violence"), after=first_line(t("<b>What kind of incident is it?</b>"))
    )
    await resident.press(t("Girl"), after=first_line(t("<b>Who is the victim?</b>")))
    await resident.press(
        t("6–12 years"), after=first_line(t("<b>About how old is the victim?</b>"))
    )
    await resident.press("Sabangau", after=first_line(t("<b>Where did it happen?</b>")))
    await resident.press("Kalampangan", after=first_line(t("<b>Which kelurahan?</b>")))
    landmark = "<b>Is there a landmark or address that helps find the place?</b>"
    await resident.expect(first_line(t(landmark)))
    await resident.type("Dekat sekolah dasar")
    location = "<b>Do you want to share the location on a map?</b>"
    await resident.expect(first_line(t(location)))
    # The reply keyboard's location button sends the persona's demo location, as Telegram does.
    await resident.tap_reply(t("📍 Share location"))
    await resident.root.locator(".message.out .location").wait_for()
    await resident.press(t("Today"), after=first_line(t("<b>When did it happen?</b>")))
    await resident.expect(first_line(t("<b>Please tell us what happened, in your own words.</b>")))
    await resident.type("Anak tetangga sering dipukul <b>malam hari</b>.")
    await resident.press(t("✅ Done"), after=t("✓ Saved. You can add more, or press Done."))
    await resident.expect(first_line(t("<b>Do you have photos, videos, voice notes or documents?")))
    await resident.attach("bukti.png", "image/png", photo, caption=caption)
    await resident.press(
        tn("✅ Done ({count} file)", 1),
        after=first_line(t("✓ {kind} received ({count} of at most {limit}).")),
    )
    await resident.press(
        t("🕶 Anonymous"), after=first_line(t("<b>Do you want to report anonymously?</b>"))
    )
    await resident.press(
        t("Yes, write to me here"),
        after=first_line(t("<b>May we write to you here, in this chat?</b>")),
    )
    await resident.press(
        t("✅ Send"), after=first_line(t("<b>Step 11 of 11 — please check your report</b>"))
    )
    confirmation = await resident.expect("LA-")
    match = CODE.search(await confirmation.inner_text())
    assert match is not None
    return match.group(0)


async def test_report_reaches_the_officer_who_takes_it(browser: Any, bursting_demo: Demo) -> None:
    # The whole report at the pace of the conversation tests (the strict 1 message/s per chat,
    # as in the demo, is the next test's).
    demo = bursting_demo
    page, errors = await open_page(browser, demo, viewport={"width": 1400, "height": 900})
    resident = ChatPage(page, "resident")
    officer = ChatPage(page, "officer")
    await consent(resident)
    code = await file_report(resident)
    # The user's own text is shown as typed, never as markup.
    assert await resident.root.locator(".message.out", has_text="<b>malam hari</b>").count() == 1

    # The alert (its landmark), not the evidence that follows it and also names the code.
    alert = await officer.expect("Dekat sekolah dasar")
    assert code in await alert.inner_text()
    # The evidence is copied to the officer and shown from the emulator's file store.
    picture = officer.root.locator(".message.in .media img").last
    await picture.wait_for()
    assert await picture.evaluate("img => img.complete && img.naturalWidth === 1")
    await officer.press(f"✅ Terima {code}")

    # The resident's phone shows only the neutral line until they open it.
    hello = t("👋 Hello, we have news for you. Press the button below when you have a moment.")
    await resident.press(t("📩 Open"), after=hello)
    update = first_line(t("📄 Update on report <code>{code}</code>: <b>{status}</b>"))
    notice = resident.root.locator(".message.in").filter(has_text=update).filter(has_text=code)
    await notice.last.wait_for()
    # Entities are rendered: the code is <code>, the status bold.
    assert await notice.last.locator("code", has_text=code).count() == 1
    assert await notice.last.locator("b").count() >= 1
    assert errors == []


async def test_reload_second_tab_fast_taps_and_a_phone_screen(browser: Any, demo: Demo) -> None:
    page, errors = await open_page(browser, demo, viewport={"width": 1400, "height": 900})
    resident = ChatPage(page, "resident")
    await consent(resident)
    await resident.type("/bahasa")
    english = resident.root.locator("button.inline", has_text="English").last
    await english.wait_for()
    # Four taps in the same instant (faster than any thumb): every one reaches the bot, and the
    # chat stays usable (the bot answers each tap, paced at Telegram's 1 message/s per chat).
    await english.evaluate("b => { for (let i = 0; i < 4; i++) b.click(); }")
    await resident.expect("Language changed to English.")
    await resident.type("/darurat")
    await resident.expect("If someone is in danger now", timeout_ms=15000)

    shown = await resident.root.locator(".message").count()
    await page.reload()
    await resident.expect("112")  # the chat lives in the server, not in the page
    assert await resident.root.locator(".message").count() == shown

    other, other_errors = await open_page(browser, demo, viewport={"width": 1400, "height": 900})
    await other.locator("#chat-resident .message").nth(shown - 1).wait_for()
    await ChatPage(other, "resident").type("/bantuan")
    await resident.expect("/lapor")  # the second tab's message and answer show in the first
    assert await resident.root.locator(".message.out", has_text="/bantuan").count() == 1

    phone, phone_errors = await open_page(browser, demo, viewport={"width": 390, "height": 844})
    assert await phone.locator(".tab").count() == 3
    assert await phone.locator("#chat-resident").is_visible()
    assert not await phone.locator("#chat-officer").is_visible()
    await phone.locator(".tab", has_text="Duty officer").click()
    assert await phone.locator("#chat-officer").is_visible()
    assert not await phone.locator("#chat-resident").is_visible()
    assert errors == other_errors == phone_errors == []


# The broadcast wizard is being built alongside; this test runs as soon as its package exists.
BROADCASTS = (Path(__file__).resolve().parents[2] / "conversations" / "broadcasts").is_dir()


async def _newest_button(chat: ChatPage, prefix: str) -> None:
    """Tap the newest inline button starting with `prefix` (an emoji: the same in both
    languages, and independent of the wording the wizard settles on)."""
    pattern = re.compile("^" + re.escape(prefix))
    button = chat.root.locator("button.inline").filter(has_text=pattern).last
    await button.click(timeout=8000)


@pytest.mark.skipif(
    not BROADCASTS,
    reason="the /siaran broadcast wizard (conversations/broadcasts) does not exist yet",
)
async def test_coordinator_broadcast_reaches_the_resident(
    browser: Any, bursting_demo: Demo
) -> None:
    demo = bursting_demo
    page, errors = await open_page(browser, demo, viewport={"width": 1400, "height": 900})
    resident = ChatPage(page, "resident")
    coordinator = ChatPage(page, "coordinator")
    await consent(resident)
    await resident.type("/langganan")
    await _newest_button(resident, "🏙")  # city-wide messages
    await resident.expect("✅")
    # The wizard: /siaran -> compose -> audience -> send.
    await coordinator.type("/siaran")
    await coordinator.root.locator(".message.in").first.wait_for()
    await coordinator.type("Waspada tawaran kerja palsu ke luar kota.")
    await _newest_button(coordinator, "👥")  # all subscribers
    await _newest_button(coordinator, "📤")  # send now
    await resident.expect("Waspada tawaran kerja palsu ke luar kota.", timeout_ms=15000)
    assert errors == []


async def test_each_chat_has_its_own_menu_and_sends_voice_and_stickers(
    browser: Any, demo: Demo
) -> None:
    """Each chat's `/` lists that chat's commands (a coordinator's tools, a resident's
    commands); the page sends a voice note and a sticker as a Telegram client would."""
    page, errors = await open_page(browser, demo, viewport={"width": 1400, "height": 900})
    coordinator = ChatPage(page, "coordinator")
    await coordinator.root.locator("button.menu").click()
    menu = coordinator.root.locator(".commands")
    await menu.locator(".command-item", has_text="/siaran").wait_for()
    assert await menu.locator(".command-item", has_text="/statistik").count() == 1
    resident = ChatPage(page, "resident")
    await resident.root.locator("button.menu").click()
    await resident.root.locator(".commands .command-item", has_text="/lapor").wait_for()
    assert await resident.root.locator(".commands .command-item", has_text="/siaran").count() == 0

    await consent(resident)
    await resident.type("/lapor")
    await resident.press(t("No"), after=first_line(t("<b>Is anyone in danger right now?</b>")))
    await resident.root.locator("button.sticker-button").click()
    await resident.root.locator(".sticker-item", has_text="🙏").click()
    await resident.root.locator(".message.out .sticker", has_text="🙏").wait_for()
    await resident.expect(first_line(t("Sorry, I can't use that here. Your answers so far")))
    await resident.root.locator("button.voice").click()
    await resident.root.locator(".message.out audio").wait_for()
    assert errors == []


async def test_a_tab_on_a_phone_opens_at_the_newest_message(browser: Any, demo: Demo) -> None:
    page, errors = await open_page(browser, demo, viewport={"width": 1400, "height": 900})
    resident = ChatPage(page, "resident")
    await consent(resident)
    for _ in range(6):
        await resident.type("/darurat")
    await resident.root.locator(".message.out", has_text="/darurat").nth(5).wait_for()
    await resident.expect("112", timeout_ms=15000)
    # Opened on another tab, the resident's chat is first drawn while hidden.
    phone, phone_errors = await open_page(
        browser, demo, "coordinator", viewport={"width": 390, "height": 640}
    )
    await phone.locator("#chat-resident .message").last.wait_for(state="attached")
    await phone.locator(".tab", has_text="Resident").click()
    messages = phone.locator("#chat-resident .messages")
    scrollable: bool = await messages.evaluate("list => list.scrollHeight > list.clientHeight")
    gap: float = await messages.evaluate(
        "list => list.scrollHeight - list.scrollTop - list.clientHeight"
    )
    assert scrollable and gap < 5, gap
    assert errors == phone_errors == []
