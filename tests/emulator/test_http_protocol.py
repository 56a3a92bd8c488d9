"""Routing, authentication and the request encodings bots use."""

from __future__ import annotations

import aiohttp

from playground.emulator import BotAPIEmulator
from tests.emulator.conftest import ApiClient


async def test_unknown_token_is_401(api: ApiClient) -> None:
    status, body = await api.call("getMe", token="999:wrong")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_404(api: ApiClient) -> None:
    status, body = await api.call("sendTelepathy")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_paths_outside_the_api_are_404_json(api: ApiClient) -> None:
    async with api.session.get(f"{api.emu.base_url}/nothing/here") as response:
        assert response.status == 404
        assert (await response.json())["description"] == "Not Found"


async def test_get_me_and_case_insensitive_method(api: ApiClient, emulator: BotAPIEmulator) -> None:
    me = await api.ok("GETME")
    assert me["id"] == emulator.bot_id == 123456
    assert me["username"] == emulator.bot_username == "lapor_aman_test_bot"
    assert me["is_bot"] is True
    assert emulator.calls[-1].method == "getMe"


async def test_get_request_with_query_string(api: ApiClient, emulator: BotAPIEmulator) -> None:
    emulator.user(1001)
    url = api.url("sendMessage")
    async with api.session.get(url, params={"chat_id": "1001", "text": "via GET"}) as response:
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "via GET"


async def test_urlencoded_form_with_json_encoded_markup(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    emulator.user(1001)
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "yes"}]]}
    status, body = await api.form(
        "sendMessage", chat_id="1001", text="Setuju?", reply_markup=markup
    )
    assert status == 200, body
    assert body["result"]["reply_markup"] == markup
    call = emulator.calls[-1]
    assert call.params["chat_id"] == 1001
    assert call.params["reply_markup"] == markup


async def test_multipart_upload_then_get_file_and_download(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    emulator.user(1001)
    status, body = await api.multipart(
        "sendDocument",
        {"doc_part": ("laporan.pdf", b"%PDF-evidence")},
        chat_id="1001",
        document="attach://doc_part",
        caption="Bukti",
    )
    assert status == 200, body
    document = body["result"]["document"]
    assert document["file_name"] == "laporan.pdf"
    assert body["result"]["caption"] == "Bukti"
    file = await api.ok("getFile", file_id=document["file_id"])
    assert file["file_size"] == len(b"%PDF-evidence")
    url = f"{emulator.base_url}/file/bot{emulator.token}/{file['file_path']}"
    async with api.session.get(url) as response:
        assert response.status == 200
        assert await response.read() == b"%PDF-evidence"


async def test_multipart_field_named_like_the_parameter(
    api: ApiClient, emulator: BotAPIEmulator
) -> None:
    emulator.user(1001)
    status, body = await api.multipart("sendPhoto", {"photo": ("p.jpg", b"jpeg")}, chat_id="1001")
    assert status == 200, body
    assert emulator.file_bytes(body["result"]["photo"][-1]["file_id"]) == b"jpeg"


async def test_resend_by_file_id_reuses_the_file(api: ApiClient, emulator: BotAPIEmulator) -> None:
    user = emulator.user(1001)
    sent = await user.send_photo(content=b"original")
    file_id = sent["photo"][-1]["file_id"]
    result = await api.ok("sendPhoto", chat_id=1001, photo=file_id)
    assert result["photo"][-1]["file_id"] == file_id
    _, description = await api.error("sendDocument", chat_id=1001, document=file_id)
    assert description == "Bad Request: can't use file of type Photo as Document"
    _, description = await api.error("sendPhoto", chat_id=1001, photo="no-such-file")
    assert description == "Bad Request: wrong file identifier/HTTP URL specified"


async def test_missing_media_and_unknown_file(api: ApiClient, emulator: BotAPIEmulator) -> None:
    emulator.user(1001)
    assert await api.error("sendPhoto", chat_id=1001) == (
        400,
        "Bad Request: there is no photo in the request",
    )
    assert await api.error("getFile", file_id="nope") == (400, "Bad Request: invalid file_id")
    url = f"{emulator.base_url}/file/bot{emulator.token}/photos/missing.jpg"
    async with api.session.get(url) as response:
        assert response.status == 404


async def test_invalid_json_body(api: ApiClient) -> None:
    async with api.session.post(
        api.url("getMe"), data=b"{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["ok"] is False


async def test_media_group(api: ApiClient, emulator: BotAPIEmulator) -> None:
    emulator.user(1001)
    form = aiohttp.FormData()
    form.add_field("chat_id", "1001")
    media = '[{"type":"photo","media":"attach://a","caption":"satu"},{"type":"photo","media":"attach://b"}]'
    form.add_field("media", media)
    form.add_field("a", b"A", filename="a.jpg")
    form.add_field("b", b"B", filename="b.jpg")
    async with api.session.post(api.url("sendMediaGroup"), data=form) as response:
        body = await response.json()
    assert body["ok"] is True, body
    first, second = body["result"]
    assert first["media_group_id"] == second["media_group_id"]
    assert first["caption"] == "satu"
    assert emulator.file_bytes(second["photo"][0]["file_id"]) == b"B"


async def test_each_bot_token_has_its_own_chats(api: ApiClient, emulator: BotAPIEmulator) -> None:
    other = "777:OTHER-bot"
    assert emulator.add_bot(other, "other_bot") == 777
    emulator.user(1001)
    status, body = await api.call("getMe", token=other)
    assert body["result"]["username"] == "other_bot"
    status, body = await api.call("sendMessage", token=other, chat_id=1001, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    emulator.user(1001, token=other)
    status, body = await api.call("sendMessage", token=other, chat_id=1001, text="hi")
    assert status == 200
    assert emulator.chat(1001, token=other).last_bot_message() is not None
    assert emulator.chat(1001).last_bot_message() is None
