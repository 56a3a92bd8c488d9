"""The simulated-user API, driving a small aiogram bot that long-polls the emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from playground.emulator import BotAPIEmulator, CallbackAnswer
from tests.emulator.conftest import make_bot
from tests.fixtures.timeline import until

MENU = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Buat laporan", callback_data="report")],
        [InlineKeyboardButton(text="Diam", callback_data="silent")],
    ]
)
SHARE = ReplyKeyboardMarkup(
    keyboard=[
        [KeyboardButton(text="Kirim nomor", request_contact=True)],
        [KeyboardButton(text="Kirim lokasi", request_location=True)],
        [KeyboardButton(text="Batal")],
    ],
    resize_keyboard=True,
)


@dataclass
class SlowAnswer:
    """The /later handler's answer: it says when it has the message, and answers when let."""

    working: asyncio.Event = field(default_factory=asyncio.Event)
    go: asyncio.Event = field(default_factory=asyncio.Event)


def demo_router(events: list[str], slow: SlowAnswer) -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        payload = (message.text or "").partition(" ")[2]
        await message.answer(
            f"Halo <b>{message.chat.first_name}</b> {payload}".strip(), reply_markup=MENU
        )

    @router.callback_query(F.data == "report")
    async def report(query: CallbackQuery) -> None:
        await query.answer("Laporan dimulai", show_alert=True)
        assert isinstance(query.message, Message)
        await query.message.edit_text("Ceritakan kejadiannya")

    @router.message(Command("share"))
    async def share(message: Message) -> None:
        await message.answer("Bagikan data Anda", reply_markup=SHARE)

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(f"Nomor {message.contact.phone_number} diterima")

    @router.message(F.location)
    async def location(message: Message) -> None:
        assert message.location is not None
        await message.answer(f"Lokasi {message.location.latitude:.2f} diterima")

    @router.message(F.text == "Batal")
    async def cancel(message: Message) -> None:
        await message.answer("Dibatalkan", reply_markup=ReplyKeyboardRemove())

    @router.message(Command("burst"))
    async def burst(message: Message) -> None:
        for index in range(3):
            await message.answer(f"bagian {index + 1}")

    @router.message(Command("later"))
    async def later(message: Message) -> None:
        slow.working.set()
        await slow.go.wait()
        await message.answer("akhirnya")

    @router.my_chat_member()
    async def membership(update: ChatMemberUpdated) -> None:
        events.append(update.new_chat_member.status)

    return router


@pytest.fixture
def slow_answer() -> SlowAnswer:
    return SlowAnswer()


@pytest.fixture
async def running_bot(
    emulator: BotAPIEmulator, slow_answer: SlowAnswer
) -> AsyncIterator[list[str]]:
    """The demo bot polling the emulator in the background; yields its my_chat_member log."""
    events: list[str] = []
    bot = make_bot(emulator)
    bot.default.parse_mode = "HTML"
    dispatcher = Dispatcher()
    dispatcher.include_router(demo_router(events, slow_answer))
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    try:
        yield events
    finally:
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)
        await bot.session.close()


@pytest.mark.usefixtures("running_bot")
async def test_start_reply_and_button_press(emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001, "Siti")
    await user.send_command("/start", "abc")
    welcome = await user.wait_for("halo")
    assert welcome.text == "Halo Siti abc"
    assert welcome.html == "Halo <b>Siti</b> abc"
    assert [[b.text for b in row] for row in welcome.buttons] == [["Buat laporan"], ["Diam"]]

    answer = await user.press("Buat laporan")
    assert answer == CallbackAnswer("Laporan dimulai", show_alert=True)
    edited = await user.wait_for("ceritakan")
    assert edited.edited and edited.message_id == welcome.message_id
    assert edited.buttons == []
    # Edited in place: the chat still holds one bot message, now with the new text.
    assert [m.text for m in user.chat.bot_messages()] == ["Ceritakan kejadiannya"]


@pytest.mark.usefixtures("running_bot")
async def test_unanswered_press_returns_none(emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    await user.send_command("/start")
    await user.wait_for("halo")
    assert await user.press("Diam", timeout=0.5) is None


@pytest.mark.usefixtures("running_bot")
async def test_reply_keyboard_contact_location_and_removal(emulator: BotAPIEmulator) -> None:
    # Five quick answers in one chat would exceed the default burst of three.
    emulator.rate_limits.per_chat_burst = 10
    user = emulator.user(1001, "Siti", phone_number="+628123456789")
    await user.send_command("share")
    keyboard_message = await user.wait_for("bagikan")
    assert keyboard_message.reply_keyboard is not None
    assert keyboard_message.reply_keyboard[0][0].request_contact
    await user.tap_reply("Kirim nomor")
    await user.wait_for("+628123456789 diterima")
    await user.tap_reply("Kirim lokasi")
    await user.wait_for("lokasi -2.21 diterima")
    await user.tap_reply("Batal")
    removed = await user.wait_for("dibatalkan")
    assert removed.remove_keyboard
    assert user.chat.reply_keyboard is None
    with pytest.raises(AssertionError, match="no reply keyboard button 'Batal'"):
        await user.tap_reply("Batal")


@pytest.mark.usefixtures("running_bot")
async def test_wait_for_consumes_messages_in_order(emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    await user.send_command("burst")
    assert (await user.wait_for()).text == "bagian 1"
    assert (await user.wait_for(predicate=lambda m: m.text.endswith("3"))).text == "bagian 3"
    await user.wait_idle(quiet=0.2)
    assert [m.text for m in user.chat.bot_messages()] == ["bagian 1", "bagian 2", "bagian 3"]


@pytest.mark.usefixtures("running_bot")
async def test_wait_for_timeout_shows_the_transcript(emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    await user.send_command("/start")
    await user.wait_for("halo")
    with pytest.raises(AssertionError) as raised:
        await user.wait_for("tidak pernah", timeout=0.3)
    message = str(raised.value)
    assert "no bot message containing 'tidak pernah'" in message
    assert "user 1001: /start" in message and "bot: Halo" in message


@pytest.mark.usefixtures("running_bot")
async def test_wait_idle_waits_for_a_slow_bot(
    emulator: BotAPIEmulator, slow_answer: SlowAnswer
) -> None:
    user = emulator.user(1001)
    await user.send_command("later")
    # Real time, as wait_idle counts it: the bot must take up the message within `quiet`.
    idle = asyncio.create_task(user.wait_idle(quiet=1.0))
    await asyncio.wait_for(slow_answer.working.wait(), 5)
    assert not idle.done(), "wait_idle did not wait for a bot still at work"
    slow_answer.go.set()
    await idle
    last = user.chat.last_bot_message()
    assert last is not None and last.text == "akhirnya"
    with pytest.raises(AssertionError, match="bot kept sending"):
        await user.wait_idle(quiet=5, timeout=0.2)


async def test_block_gives_403_and_my_chat_member(
    emulator: BotAPIEmulator, running_bot: list[str]
) -> None:
    user = emulator.user(1001)
    await user.send_command("/start")
    await user.wait_for("halo")
    user.block()
    bot = make_bot(emulator)
    try:
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(1001, "masih di sana?")
    finally:
        await bot.session.close()
    with pytest.raises(RuntimeError, match="blocked the bot"):
        await user.send_text("halo")
    user.unblock()
    await until(lambda: len(running_bot) == 2, "the bot told of the block and the unblock")
    assert running_bot == ["kicked", "member"]
    assert user.chat.blocked is False


async def test_press_data_can_forge_and_replay(emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    task = asyncio.create_task(user.press_data("admin:delete:7", message_id=424242, timeout=0.3))
    await until(lambda: emulator.bot.updates.pending, "the press queued for the bot")
    update = emulator.bot.updates.pending[-1]["callback_query"]
    assert update["data"] == "admin:delete:7"
    # A message the bot cannot see arrives as an InaccessibleMessage (date 0).
    chat = {"id": 1001, "type": "private", "first_name": "Siti"}
    assert update["message"] == {"chat": chat, "message_id": 424242, "date": 0}
    assert await task is None


async def test_same_user_object_and_media_helpers(emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001, "Siti")
    assert emulator.user(1001) is user
    photo = await user.send_photo(caption="foto")
    video = await user.send_video(duration=7)
    voice = await user.send_voice()
    sticker = await user.send_sticker()
    assert photo["photo"][-1]["width"] == 1280 and photo["caption"] == "foto"
    assert video["video"]["duration"] == 7
    assert voice["voice"]["mime_type"] == "audio/ogg"
    assert sticker["sticker"]["emoji"] == "👍"
    kinds = [m.kind for m in user.chat.messages]
    assert kinds == ["photo", "video", "voice", "sticker"]
    assert all(not m.from_bot for m in user.chat.messages)
    assert "user 1001" in user.chat.transcript()


async def test_group_chat(emulator: BotAPIEmulator) -> None:
    group = emulator.create_group(-1001234567890, "Petugas UPTD")
    assert group.type == "supergroup"
    officer = emulator.user(3003, "Budi")
    await officer.send_text("siap", chat_id=group.id)
    update = emulator.bot.updates.pending[-1]["message"]
    assert update["chat"] == {"id": -1001234567890, "type": "supergroup", "title": "Petugas UPTD"}
    assert update["from"]["id"] == 3003
    assert [m.text for m in emulator.chat(group.id).messages] == ["siap"]
