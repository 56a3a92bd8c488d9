"""The demo's JSON API and start-up, without a browser (these run everywhere)."""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, or_, select

from playground.demo.__main__ import EXIT_PORT_IN_USE, serve
from playground.demo.demo import Demo, PortInUse
from playground.demo.web import STATIC_DIR
from storage.models import OutboxMessage, Report
from tests.cases.staffing import file_report


async def _json(session: aiohttp.ClientSession, method: str, url: str, **kw: object) -> object:
    async with session.request(method, url, **kw) as response:  # type: ignore[arg-type]
        assert response.status == 200, await response.text()
        return await response.json()


async def test_port_in_use_is_refused_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse):
            await Demo(port=port, data_dir=tmp_path / "a").start()
        args = argparse.Namespace(host="127.0.0.1", port=port, data_dir=tmp_path / "b")
        assert await serve(args) == EXIT_PORT_IN_USE
    assert f"Port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()  # nothing was started


async def test_seeded_cases_and_a_conversation_over_the_api(demo: Demo) -> None:
    assert demo._service is not None
    async with demo._service.session_factory() as session:
        reports = (await session.execute(Report.__table__.select())).all()
    statuses = {row.status for row in reports}
    assert {"diterima", "ditangani", "dirujuk", "selesai"} <= statuses
    async with aiohttp.ClientSession(demo.url) as http:
        people = await _json(http, "GET", "/api/people")
        assert isinstance(people, dict)
        assert [p["key"] for p in people["people"]] == ["resident", "officer", "coordinator"]
        empty = await _json(http, "GET", "/api/chats/officer")
        assert isinstance(empty, dict)
        assert {k: empty[k] for k in ("version", "messages", "keyboard")} == {
            "version": 0,
            "messages": [],
            "keyboard": None,
        }
        # A long poll that is waiting wakes up when the bot answers.
        waiting = asyncio.create_task(_json(http, "GET", "/api/chats/officer?after=1"))
        await _json(http, "POST", "/api/chats/officer/send", json={"text": "/kasus"})
        changed = await asyncio.wait_for(waiting, 10)
        assert isinstance(changed, dict) and changed["version"] >= 2
        assert changed["messages"][0]["text"] == "/kasus"
        assert any(m["from_bot"] for m in changed["messages"])


async def test_bad_requests_get_clear_errors(demo: Demo) -> None:
    async with aiohttp.ClientSession(demo.url) as http:
        cases = [
            ("GET", "/api/chats/nobody", {}, 404),
            ("POST", "/api/chats/resident/send", {"json": {"text": "  "}}, 400),
            ("POST", "/api/chats/resident/send", {"data": b"not json"}, 400),
            ("POST", "/api/chats/resident/send", {"json": {"text": "x" * 5000}}, 400),
            ("POST", "/api/chats/resident/press", {"json": {"data": 1}}, 400),
            ("POST", "/api/chats/resident/reply", {"json": {"text": "Lewati"}}, 409),
            ("POST", "/api/chats/resident/photo", {"json": {}}, 400),
            ("GET", "/api/chats/resident?after=soon", {}, 400),
            ("GET", "/api/files/nope", {}, 404),
        ]
        for method, path, kwargs, status in cases:
            async with http.request(method, path, **kwargs) as response:  # type: ignore[arg-type]
                assert response.status == status, (method, path, await response.text())


async def test_uploaded_picture_is_served_back_from_the_emulator(demo: Demo) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    form = aiohttp.FormData()
    form.add_field("file", png, filename="bukti.png", content_type="image/png")
    form.add_field("caption", "foto")
    async with aiohttp.ClientSession(demo.url) as http:
        chat = await _json(http, "POST", "/api/chats/resident/photo", data=form)
        assert isinstance(chat, dict)
        photo = chat["messages"][-1]
        assert photo["kind"] == "photo" and photo["text"] == "foto"
        async with http.get(photo["media"]["url"]) as response:
            assert response.content_type == "image/png"
            assert await response.read() == png


def test_the_page_fetches_nothing_from_the_internet() -> None:
    # Links the bot sends may point anywhere; what the page itself loads must be local.
    for name in ("index.html", "style.css"):
        text = (STATIC_DIR / name).read_text()
        assert not re.search(r"(src|href)=[\"']?(https?:)?//|url\(\s*[\"']?(https?:)?//", text), (
            name
        )
    script = (STATIC_DIR / "app.js").read_text()
    assert not re.search(r"fetch\(\s*[\"'`](https?:)?//", script)
    assert "import(" not in script and "importScripts" not in script


async def test_each_person_sees_their_own_command_menu(demo: Demo) -> None:
    """The page's `/` lists what the bot set for that chat, as Telegram shows it: staff see
    their tools (BotCommandScopeChat), the resident only the resident's commands."""
    async with aiohttp.ClientSession(demo.url) as http:
        people = await _json(http, "GET", "/api/people")
        assert isinstance(people, dict)
        menus = {p["key"]: [c["command"] for c in p["commands"]] for p in people["people"]}
        assert {"siaran", "statistik", "petugas", "kasus"} <= set(menus["coordinator"])
        assert {"piket", "kasus"} <= set(menus["officer"]) and "siaran" not in menus["officer"]
        assert "lapor" in menus["resident"]
        assert not {"piket", "kasus", "siaran"} & set(menus["resident"])
        chat = await _json(http, "GET", "/api/chats/coordinator")
        assert isinstance(chat, dict)
        assert [c["command"] for c in chat["commands"]] == menus["coordinator"]


async def test_a_report_outside_kalampangan_reaches_someone_on_the_page(demo: Demo) -> None:
    """Nobody the page does not show is on the roster: a report from Menteng goes to the
    coordinator, and no alert is dead-lettered for lack of a chat."""
    assert demo._service is not None
    service = demo._service
    _, code = await file_report(service, "Menteng")
    coordinator = demo.users["coordinator"]
    await coordinator.wait_for(code, timeout=10)
    await coordinator.wait_idle(quiet=0.5)
    async with service.session_factory() as session:
        dead = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(or_(OutboxMessage.status == "dead", OutboxMessage.kind == "dead_letter"))
        )
    assert dead == 0
    assert not [m for m in coordinator.chat.bot_messages() if "could not" in m.text.casefold()]


async def test_voice_notes_and_stickers_from_the_page(demo: Demo) -> None:
    async with aiohttp.ClientSession(demo.url) as http:
        chat = await _json(http, "POST", "/api/chats/resident/voice", json={"duration": 4})
        assert isinstance(chat, dict)
        voice = chat["messages"][-1]
        assert voice["kind"] == "voice" and voice["media"]["mime"] == "audio/ogg"
        chat = await _json(http, "POST", "/api/chats/resident/sticker", json={"emoji": "🙏"})
        assert isinstance(chat, dict)
        sticker = chat["messages"][-1]
        assert sticker["kind"] == "sticker" and sticker["media"]["emoji"] == "🙏"
        for body in ({"duration": 0}, {"duration": "long"}, {"emoji": ""}):
            kind = "voice" if "duration" in body else "sticker"
            async with http.post(f"/api/chats/resident/{kind}", json=body) as response:
                assert response.status == 400, body


async def test_the_page_has_an_icon(demo: Demo) -> None:
    async with aiohttp.ClientSession(demo.url) as http, http.get("/favicon.ico") as response:
        assert response.status == 200 and response.content_type.startswith("image/")
