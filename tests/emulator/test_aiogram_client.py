"""A real aiogram Bot against the emulator: results parse and errors map to aiogram's types."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from playground.emulator import BotAPIEmulator, RateLimits
from tests.emulator.conftest import make_bot
from tests.fixtures.emulator import EmulatorFactory
from tests.fixtures.timeline import until

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Lapor", callback_data="report:new")]]
)


async def test_send_edit_copy_delete(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    emulator.user(1001, "Siti")
    emulator.user(2002, "Petugas")
    sent = await tg_bot.send_message(
        1001, "<b>Selamat datang</b>", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert sent.text == "Selamat datang"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == KEYBOARD.model_dump()
    assert sent.chat.id == 1001 and sent.from_user is not None and sent.from_user.is_bot

    edited = await tg_bot.edit_message_text("Diperbarui", chat_id=1001, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "Diperbarui" and edited.edit_date is not None

    copy = await tg_bot.copy_message(2002, 1001, sent.message_id)
    assert emulator.chat(2002).messages[-1].text == "Diperbarui"
    assert copy.message_id == emulator.chat(2002).messages[-1].message_id

    photo = await tg_bot.send_photo(
        1001,
        BufferedInputFile(b"jpeg-bytes", "bukti.jpg"),
        caption="Bukti",
        reply_parameters=ReplyParameters(message_id=sent.message_id),
    )
    assert photo.photo is not None and photo.reply_to_message is not None
    file = await tg_bot.get_file(photo.photo[-1].file_id)
    assert file.file_path is not None
    downloaded = await tg_bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"jpeg-bytes"

    assert await tg_bot.delete_message(1001, sent.message_id) is True
    assert [m.kind for m in emulator.chat(1001).messages] == ["photo"]


async def test_get_updates_parses(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    user = emulator.user(1001, "Siti", username="siti")
    await user.send_command("/start", "abc")
    await user.send_contact()
    await user.send_location(-2.21, 113.92)
    await user.send_document()
    updates = await tg_bot.get_updates(timeout=1)
    start, contact, location, document = (u.message for u in updates)
    assert start is not None and start.text == "/start abc"
    assert start.entities is not None and start.entities[0].type == "bot_command"
    assert contact is not None and contact.contact is not None
    assert contact.contact.user_id == 1001
    assert location is not None and location.location is not None
    assert document is not None and document.document is not None
    assert document.document.file_name == "document.pdf"


async def test_errors_map_to_aiogram_exceptions(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    user = emulator.user(1001)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await tg_bot.send_message(5555, "x")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await tg_bot.send_message(1001, "<b>x", parse_mode="HTML")
    sent = await tg_bot.send_message(1001, "sama")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await tg_bot.edit_message_text("sama", chat_id=1001, message_id=sent.message_id)
    user.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await tg_bot.send_message(1001, "x")


async def test_conflict_for_the_earlier_poller(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    other = make_bot(emulator)
    try:
        first = asyncio.create_task(tg_bot.get_updates(timeout=5))
        await until(lambda: emulator.bot.active_poll, "the first long poll at the emulator")
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await first
        assert await second == []
    finally:
        await other.session.close()


async def test_rate_limit_raises_retry_after(emulator_factory: EmulatorFactory) -> None:
    emu = await emulator_factory(rate_limits=RateLimits(per_chat_burst=1))
    emu.user(1001)
    bot = make_bot(emu)
    try:
        await bot.send_message(1001, "satu")
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(1001, "dua")
        assert raised.value.retry_after == 1
    finally:
        await bot.session.close()


async def test_commands_per_scope_and_language(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    commands = [
        BotCommand(command="start", description="Mulai"),
        BotCommand(command="lapor", description="Buat laporan"),
    ]
    await tg_bot.set_my_commands(commands, language_code="id")
    await tg_bot.set_my_commands(
        [BotCommand(command="start", description="Start")], scope=BotCommandScopeAllPrivateChats()
    )
    assert [c["command"] for c in emulator.commands("id")] == ["start", "lapor"]
    assert emulator.commands("en") == []
    assert emulator.commands(scope={"type": "all_private_chats"})[0]["description"] == "Start"
    fetched = await tg_bot.get_my_commands(language_code="id")
    assert [c.model_dump() for c in fetched] == [c.model_dump() for c in commands]
    await tg_bot.delete_my_commands(language_code="id")
    assert emulator.commands("id") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await tg_bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_a_chat_shows_the_commands_telegram_would_choose(
    emulator: BotAPIEmulator, tg_bot: Bot
) -> None:
    """A client lists the chat's own commands first, then those for all private chats, then
    the default; within each scope the user's language before the list without one."""

    def names(chat_id: int, language: str) -> list[str]:
        return [c["command"] for c in emulator.commands_shown(chat_id, language)]

    assert names(1001, "id") == []
    await tg_bot.set_my_commands([BotCommand(command="start", description="Mulai")])
    await tg_bot.set_my_commands(
        [BotCommand(command="help", description="Help")], language_code="en"
    )
    assert names(1001, "id") == ["start"] and names(1001, "en") == ["help"]
    await tg_bot.set_my_commands(
        [BotCommand(command="lapor", description="Lapor")], scope=BotCommandScopeAllPrivateChats()
    )
    assert names(1001, "en") == ["lapor"]
    staff = [BotCommand(command="kasus", description="Kasus"), *await tg_bot.get_my_commands()]
    await tg_bot.set_my_commands(staff, scope=BotCommandScopeChat(chat_id=1002))
    assert names(1002, "en") == ["kasus", "start"] and names(1001, "en") == ["lapor"]
    await tg_bot.set_my_commands(
        [BotCommand(command="piket", description="Duty")],
        scope=BotCommandScopeChat(chat_id=1002),
        language_code="en",
    )
    assert names(1002, "en") == ["piket"] and names(1002, "id") == ["kasus", "start"]
    await tg_bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=1002), language_code="en")
    await tg_bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=1002))
    assert names(1002, "en") == ["lapor"]


async def test_profile_and_chat_info(emulator: BotAPIEmulator, tg_bot: Bot) -> None:
    emulator.user(1001, "Siti")
    await tg_bot.set_my_description("Layanan pelaporan", language_code="id")
    await tg_bot.set_my_short_description("Lapor aman")
    assert (await tg_bot.get_my_description(language_code="id")).description == "Layanan pelaporan"
    assert (await tg_bot.get_my_short_description()).short_description == "Lapor aman"
    chat = await tg_bot.get_chat(1001)
    assert chat.first_name == "Siti" and chat.type == "private"
    member = await tg_bot.get_chat_member(1001, 1001)
    assert member.status == "member"
    await tg_bot.set_chat_menu_button()
    webhook = await tg_bot.get_webhook_info()
    assert webhook.url == "" and webhook.pending_update_count == 0
    assert await tg_bot.log_out() is True
