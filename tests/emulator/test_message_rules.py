"""Telegram's validation and error texts for sending, editing, deleting and copying."""

from __future__ import annotations

import pytest

from playground.emulator import BotAPIEmulator
from tests.emulator.conftest import ApiClient

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@pytest.fixture
def user_chat(emulator: BotAPIEmulator) -> int:
    return emulator.user(1001, "Siti").id


@pytest.mark.parametrize(
    ("parse_mode", "text", "error"),
    [
        ("HTML", "<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("HTML", "a <blink>b</blink>", 'Unsupported start tag "blink" at byte offset 2'),
        (
            "MarkdownV2",
            "Terima kasih!",
            "Character '!' is reserved and must be escaped with the preceding '\\'",
        ),
        ("MarkdownV2", "*tebal", "Can't find end of Bold entity at byte offset 0"),
    ],
)
async def test_bad_markup_is_400_with_parser_error(
    api: ApiClient, user_chat: int, parse_mode: str, text: str, error: str
) -> None:
    status, description = await api.error(
        "sendMessage", chat_id=user_chat, text=text, parse_mode=parse_mode
    )
    assert status == 400
    assert description == f"Bad Request: can't parse entities: {error}"


async def test_bad_markup_in_caption(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    photo = (await emulator.user(1001).send_photo())["photo"][-1]["file_id"]
    _, description = await api.error(
        "sendPhoto", chat_id=user_chat, photo=photo, caption="<i>x", parse_mode="HTML"
    )
    assert description == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"i\""
    )


async def test_parse_mode_applies_entities_and_keeps_source(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    source = "<b>Laporan</b> diterima &amp; <i>aman</i>"
    result = await api.ok("sendMessage", chat_id=user_chat, text=source, parse_mode="HTML")
    assert result["text"] == "Laporan diterima & aman"
    assert result["entities"] == [
        {"type": "bold", "offset": 0, "length": 7},
        {"type": "italic", "offset": 19, "length": 4},
    ]
    shown = emulator.chat(user_chat).last_bot_message()
    assert shown is not None
    assert (shown.text, shown.html) == ("Laporan diterima & aman", source)


@pytest.mark.parametrize("text", ["", "   \n  ", "<b></b>"])
async def test_empty_text(api: ApiClient, user_chat: int, text: str) -> None:
    _, description = await api.error("sendMessage", chat_id=user_chat, text=text, parse_mode="HTML")
    assert description == "Bad Request: message text is empty"


async def test_missing_text(api: ApiClient, user_chat: int) -> None:
    assert await api.error("sendMessage", chat_id=user_chat) == (
        400,
        "Bad Request: message text is empty",
    )


async def test_text_length_is_counted_in_utf16_after_parsing(
    api: ApiClient, user_chat: int
) -> None:
    # Markup does not count: 4096 visible characters wrapped in tags are fine.
    await api.ok("sendMessage", chat_id=user_chat, text=f"<b>{'a' * 4096}</b>", parse_mode="HTML")
    _, description = await api.error("sendMessage", chat_id=user_chat, text="a" * 4097)
    assert description == "Bad Request: message is too long"
    # An emoji outside the BMP is two UTF-16 units: 2048 of them are exactly the limit.
    await api.ok("sendMessage", chat_id=user_chat, text="🏟" * 2048)
    _, description = await api.error("sendMessage", chat_id=user_chat, text="🏟" * 2048 + "a")
    assert description == "Bad Request: message is too long"


async def test_caption_length(api: ApiClient, emulator: BotAPIEmulator, user_chat: int) -> None:
    photo = (await emulator.user(1001).send_photo())["photo"][-1]["file_id"]
    await api.ok("sendPhoto", chat_id=user_chat, photo=photo, caption="c" * 1024)
    _, description = await api.error(
        "sendPhoto", chat_id=user_chat, photo=photo, caption="c" * 1025
    )
    assert description == "Bad Request: message caption is too long"


@pytest.mark.parametrize("data", ["", "x" * 65, "é" * 33])
async def test_callback_data_must_be_1_to_64_bytes(
    api: ApiClient, user_chat: int, data: str
) -> None:
    markup = {"inline_keyboard": [[{"text": "Tombol", "callback_data": data}]]}
    _, description = await api.error(
        "sendMessage", chat_id=user_chat, text="t", reply_markup=markup
    )
    assert description == "Bad Request: BUTTON_DATA_INVALID"


async def test_callback_data_of_exactly_64_bytes_is_fine(api: ApiClient, user_chat: int) -> None:
    markup = {"inline_keyboard": [[{"text": "Tombol", "callback_data": "é" * 32}]]}
    await api.ok("sendMessage", chat_id=user_chat, text="t", reply_markup=markup)


async def test_inline_button_needs_an_action(api: ApiClient, user_chat: int) -> None:
    markup = {"inline_keyboard": [[{"text": "Cuma teks"}]]}
    _, description = await api.error(
        "sendMessage", chat_id=user_chat, text="t", reply_markup=markup
    )
    assert description == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )


async def test_malformed_reply_markup(api: ApiClient, user_chat: int) -> None:
    status, body = await api.form("sendMessage", chat_id="1001", text="t", reply_markup="{oops")
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )


async def test_unknown_chat(api: ApiClient) -> None:
    assert await api.error("sendMessage", chat_id=424242, text="hi") == (
        400,
        "Bad Request: chat not found",
    )


async def test_blocked_user_is_403(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    emulator.user(1001).block()
    assert await api.error("sendMessage", chat_id=user_chat, text="hi") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    assert emulator.stats[emulator.token]["403"] == 1
    emulator.user(1001).unblock()
    await api.ok("sendMessage", chat_id=user_chat, text="hi again")


async def test_edit_text_and_its_errors(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    sent = await api.ok("sendMessage", chat_id=user_chat, text="satu", reply_markup=markup)
    message_id = sent["message_id"]
    assert await api.error("editMessageText", chat_id=user_chat, message_id=999, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    _, description = await api.error(
        "editMessageText",
        chat_id=user_chat,
        message_id=message_id,
        text="satu",
        reply_markup=markup,
    )
    assert description == NOT_MODIFIED
    # Same text but no markup is a change: the keyboard is removed.
    edited = await api.ok("editMessageText", chat_id=user_chat, message_id=message_id, text="satu")
    assert "reply_markup" not in edited
    assert edited["edit_date"] >= edited["date"]
    view = emulator.chat(user_chat).last_bot_message()
    assert view is not None and view.edited and view.buttons == []


async def test_edit_rules_for_foreign_and_media_messages(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    user_message = await emulator.user(1001).send_text("dari pengguna")
    _, description = await api.error(
        "editMessageText", chat_id=user_chat, message_id=user_message["message_id"], text="x"
    )
    assert description == "Bad Request: message can't be edited"
    photo = await api.ok(
        "sendPhoto",
        chat_id=user_chat,
        photo=(await emulator.user(1001).send_photo())["photo"][0]["file_id"],
    )
    _, description = await api.error(
        "editMessageText", chat_id=user_chat, message_id=photo["message_id"], text="x"
    )
    assert description == "Bad Request: there is no text in the message to edit"
    captioned = await api.ok(
        "editMessageCaption",
        chat_id=user_chat,
        message_id=photo["message_id"],
        caption="<b>c</b>",
        parse_mode="HTML",
    )
    assert captioned["caption"] == "c"
    assert captioned["caption_entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    text = await api.ok("sendMessage", chat_id=user_chat, text="t")
    _, description = await api.error(
        "editMessageCaption", chat_id=user_chat, message_id=text["message_id"], caption="c"
    )
    assert description == "Bad Request: there is no caption in the message to edit"


async def test_edit_reply_markup(api: ApiClient, user_chat: int) -> None:
    sent = await api.ok("sendMessage", chat_id=user_chat, text="t")
    markup = {"inline_keyboard": [[{"text": "Buka", "url": "https://example.org"}]]}
    edited = await api.ok(
        "editMessageReplyMarkup",
        chat_id=user_chat,
        message_id=sent["message_id"],
        reply_markup=markup,
    )
    assert edited["reply_markup"] == markup
    _, description = await api.error(
        "editMessageReplyMarkup",
        chat_id=user_chat,
        message_id=sent["message_id"],
        reply_markup=markup,
    )
    assert description == NOT_MODIFIED


async def test_delete_window_is_48_hours(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    now = [1_700_000_000.0]
    emu = await emulator_factory(clock=lambda: now[0])
    emu.user(1001)
    import aiohttp

    async with aiohttp.ClientSession() as session:
        api = ApiClient(session, emu)
        first = await api.ok("sendMessage", chat_id=1001, text="lama")
        second = await api.ok("sendMessage", chat_id=1001, text="baru")
        assert first["date"] == 1_700_000_000
        now[0] += 48 * 3600 + 1
        _, description = await api.error(
            "deleteMessage", chat_id=1001, message_id=first["message_id"]
        )
        assert description == "Bad Request: message can't be deleted for everyone"
        now[0] = 1_700_000_000 + 48 * 3600 - 1
        assert await api.ok("deleteMessage", chat_id=1001, message_id=second["message_id"]) is True
        _, description = await api.error(
            "deleteMessage", chat_id=1001, message_id=second["message_id"]
        )
        assert description == "Bad Request: message to delete not found"
    texts = [m.text for m in emu.chat(1001).messages]
    assert texts == ["lama"]


async def test_delete_unknown_message(api: ApiClient, user_chat: int) -> None:
    assert await api.error("deleteMessage", chat_id=user_chat, message_id=12345) == (
        400,
        "Bad Request: message to delete not found",
    )


async def test_delete_messages_skips_missing(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    a = await api.ok("sendMessage", chat_id=user_chat, text="a")
    b = await api.ok("sendMessage", chat_id=user_chat, text="b")
    assert (
        await api.ok("deleteMessages", chat_id=user_chat, message_ids=[a["message_id"], 999])
        is True
    )
    assert [m.message_id for m in emulator.chat(user_chat).messages] == [b["message_id"]]


async def test_copy_keeps_content_without_forward_header(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    reporter = emulator.user(1001, "Siti")
    emulator.user(2002, "Petugas")
    evidence = await reporter.send_photo(caption="bukti kekerasan")
    copied = await api.ok(
        "copyMessage", chat_id=2002, from_chat_id=1001, message_id=evidence["message_id"]
    )
    assert set(copied) == {"message_id"}
    view = emulator.chat(2002).last_bot_message()
    assert view is not None
    assert view.kind == "photo"
    assert view.text == "bukti kekerasan"
    assert view.forward_origin is None
    assert view.copied_from == (1001, evidence["message_id"])
    assert view.file_id == evidence["photo"][-1]["file_id"]


async def test_copy_with_new_caption_and_copy_messages(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    reporter = emulator.user(1001)
    emulator.user(2002)
    doc = await reporter.send_document(caption="asli")
    text = await reporter.send_text("kronologi")
    await api.ok(
        "copyMessage",
        chat_id=2002,
        from_chat_id=1001,
        message_id=doc["message_id"],
        caption="<b>Laporan #7</b>",
        parse_mode="HTML",
    )
    view = emulator.chat(2002).last_bot_message()
    assert view is not None and view.text == "Laporan #7"
    assert view.entities == [{"type": "bold", "offset": 0, "length": 10}]
    ids = await api.ok(
        "copyMessages", chat_id=2002, from_chat_id=1001, message_ids=[text["message_id"], 999]
    )
    assert len(ids) == 1
    assert emulator.chat(2002).messages[-1].text == "kronologi"


async def test_copy_of_missing_message(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    assert await api.error(
        "copyMessage", chat_id=user_chat, from_chat_id=user_chat, message_id=77
    ) == (
        400,
        "Bad Request: message to copy not found",
    )
    assert await api.error("copyMessage", chat_id=user_chat, from_chat_id=-5, message_id=1) == (
        400,
        "Bad Request: chat not found",
    )


async def test_a_message_the_user_deleted_cannot_be_copied_or_forwarded(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    reporter = emulator.user(1001, "Siti")
    emulator.user(2002)
    original = await reporter.send_text("nanti dihapus")
    await api.ok("copyMessage", chat_id=2002, from_chat_id=1001, message_id=original["message_id"])
    reporter.delete_own(original["message_id"])
    assert await api.error(
        "copyMessage", chat_id=2002, from_chat_id=1001, message_id=original["message_id"]
    ) == (400, "Bad Request: message to copy not found")
    assert await api.error(
        "forwardMessage", chat_id=2002, from_chat_id=1001, message_id=original["message_id"]
    ) == (400, "Bad Request: message to forward not found")
    # Only one's own messages, and only once.
    with pytest.raises(LookupError):
        reporter.delete_own(original["message_id"])


async def test_forward_adds_forward_origin(api: ApiClient, emulator: BotAPIEmulator) -> None:
    reporter = emulator.user(1001, "Siti")
    emulator.user(2002)
    original = await reporter.send_text("tolong")
    forwarded = await api.ok(
        "forwardMessage", chat_id=2002, from_chat_id=1001, message_id=original["message_id"]
    )
    assert forwarded["text"] == "tolong"
    assert forwarded["forward_origin"] == {
        "type": "user",
        "sender_user": original["from"],
        "date": original["date"],
    }
    view = emulator.chat(2002).last_bot_message()
    assert view is not None and view.forward_origin is not None and view.copied_from is None
    assert await api.error("forwardMessage", chat_id=2002, from_chat_id=1001, message_id=99) == (
        400,
        "Bad Request: message to forward not found",
    )


async def test_reply_to_message(api: ApiClient, emulator: BotAPIEmulator, user_chat: int) -> None:
    question = await emulator.user(1001).send_text("pertanyaan")
    reply = await api.ok(
        "sendMessage",
        chat_id=user_chat,
        text="jawaban",
        reply_parameters={"message_id": question["message_id"]},
    )
    assert reply["reply_to_message"]["text"] == "pertanyaan"
    _, description = await api.error(
        "sendMessage", chat_id=user_chat, text="x", reply_parameters={"message_id": 999}
    )
    assert description == "Bad Request: message to be replied not found"


async def test_location_contact_and_chat_action(
    api: ApiClient, emulator: BotAPIEmulator, user_chat: int
) -> None:
    location = await api.ok("sendLocation", chat_id=user_chat, latitude=-2.21, longitude=113.92)
    assert location["location"] == {"latitude": -2.21, "longitude": 113.92}
    contact = await api.ok(
        "sendContact", chat_id=user_chat, phone_number="112", first_name="Polisi"
    )
    assert contact["contact"] == {"phone_number": "112", "first_name": "Polisi"}
    assert await api.ok("sendChatAction", chat_id=user_chat, action="typing") is True
    _, description = await api.error("sendChatAction", chat_id=user_chat, action="dancing")
    assert description == "Bad Request: wrong parameter action in request"
    kinds = [m.kind for m in emulator.chat(user_chat).messages]
    assert kinds == ["location", "contact"]


async def test_answer_callback_query_rules(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    import aiohttp

    now = [1_700_000_000.0]
    emu = await emulator_factory(clock=lambda: now[0])
    user = emu.user(1001)
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    async with aiohttp.ClientSession() as session:
        api = ApiClient(session, emu)
        assert await api.error("answerCallbackQuery", callback_query_id="123") == (400, too_old)
        markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
        await api.ok("sendMessage", chat_id=1001, text="t", reply_markup=markup)

        press = asyncio.create_task(user.press("OK", timeout=2))
        updates = await api.ok("getUpdates", timeout=2)
        query_id = updates[-1]["callback_query"]["id"]
        assert await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Siap") is True
        answer = await press
        assert answer is not None and answer.text == "Siap" and answer.show_alert is False
        assert await api.error("answerCallbackQuery", callback_query_id=query_id) == (400, too_old)

        late = asyncio.create_task(user.press("OK", timeout=0.5))
        updates = await api.ok("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=2)
        now[0] += 15 * 60 + 1
        query_id = updates[-1]["callback_query"]["id"]
        assert await api.error("answerCallbackQuery", callback_query_id=query_id) == (400, too_old)
        assert await late is None
