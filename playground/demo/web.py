"""The page's JSON API over the emulator's state, and the static files of the page.

Every chat lives in the emulator (server-side), so closing the page, reopening it or opening a
second tab shows the same conversation. The page long-polls GET /api/chats/{who}?after=N: the
answer comes at once when the chat changed since version N (new, edited or deleted messages),
otherwise as soon as it changes, or after a while with nothing new.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from playground.demo.seed import PERSONAS
from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from playground.emulator.state import ChatState

STATIC_DIR = Path(__file__).resolve().parent / "static"
LONG_POLL_SECONDS = 20.0
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_UPLOAD = 10 * 1024 * 1024  # Bot API photos are up to 10 MB
PRESS_WAIT_SECONDS = 3.0
VOICE_SECONDS = 5

_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)


def sniff_mime(content: bytes, declared: str | None) -> str:
    """Photos carry no mime type in the Bot API; browsers need one to show the bytes."""
    if declared:
        return declared
    for magic, mime in _IMAGE_MAGIC:
        if content.startswith(magic):
            return mime
    return "application/octet-stream"


def _media(message: BotMessage) -> dict[str, Any] | None:
    file_id = message.file_id
    if file_id is None:
        return None
    media = message.raw.get(message.kind)
    if isinstance(media, list):
        media = media[-1]
    assert isinstance(media, dict)
    return {
        "url": f"/api/files/{file_id}",
        "name": media.get("file_name"),
        "mime": media.get("mime_type"),
        "emoji": media.get("emoji"),
    }


def message_json(message: BotMessage) -> dict[str, Any]:
    raw = message.raw
    return {
        "id": message.message_id,
        "from_bot": message.from_bot,
        "kind": message.kind,
        "text": message.text,
        "entities": message.entities,
        "buttons": [
            [{"text": b.text, "data": b.callback_data, "url": b.url} for b in row]
            for row in message.buttons
        ],
        "edited": message.edited,
        "date": message.date,
        "media": _media(message),
        "location": raw.get("location"),
        "contact": raw.get("contact"),
        "copied": message.copied_from is not None,
    }


class DemoWeb:
    def __init__(self, emulator: BotAPIEmulator, users: dict[str, SimulatedUser]) -> None:
        self.emulator = emulator
        self.users = users
        self._closing = False

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD + 64 * 1024)
        app.router.add_get("/", self.index)
        app.router.add_get("/api/people", self.people)
        app.router.add_get("/api/chats/{who}", self.chat)
        app.router.add_post("/api/chats/{who}/send", self.send)
        app.router.add_post("/api/chats/{who}/press", self.press)
        app.router.add_post("/api/chats/{who}/reply", self.reply)
        app.router.add_post("/api/chats/{who}/photo", self.photo)
        app.router.add_post("/api/chats/{who}/voice", self.voice)
        app.router.add_post("/api/chats/{who}/sticker", self.sticker)
        app.router.add_get("/api/files/{file_id}", self.file)
        app.router.add_get("/favicon.ico", self.favicon)
        app.router.add_static("/static", STATIC_DIR)
        return app

    def closing(self) -> None:
        """Release every waiting long poll: the server is about to stop."""
        self._closing = True
        for user in self.users.values():
            self._chat_state(user).notifier.notify()

    # --- helpers ------------------------------------------------------------------------------

    def _user(self, request: web.Request) -> SimulatedUser:
        user = self.users.get(request.match_info["who"])
        if user is None:
            raise web.HTTPNotFound(text="no such person on this page")
        return user

    def _chat_state(self, user: SimulatedUser) -> ChatState:
        # The emulator's state is public by design (state.py): a private chat's id is the
        # user's id, and its event list grows with every new, edited or deleted message.
        return self.emulator.bot.chats[user.id]

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="expected a JSON object") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    def _snapshot(self, user: SimulatedUser) -> dict[str, Any]:
        chat = self._chat_state(user)
        view = user.chat
        keyboard = view.reply_keyboard
        return {
            "version": len(chat.events),
            "messages": [message_json(m) for m in view.messages],
            # A menu changes with the person's role (an invitation, a promotion), which the
            # bot announces in the chat: each change of the chat brings the menu along.
            "commands": self.emulator.commands_shown(user.id, user.info.language_code),
            "keyboard": [
                [
                    {
                        "text": b.text,
                        "contact": b.request_contact,
                        "location": b.request_location,
                    }
                    for b in row
                ]
                for row in keyboard
            ]
            if keyboard
            else None,
        }

    # --- routes -------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def people(self, request: web.Request) -> web.Response:
        bot = self.emulator.bot
        return web.json_response(
            {
                "bot": {"name": bot.first_name, "username": bot.username},
                "people": [
                    {
                        "key": p.key,
                        "title": p.title,
                        "name": f"{p.first_name} {p.last_name or ''}".strip(),
                        "user_id": p.user_id,
                        "phone": p.phone,
                        "commands": self._commands(p.key),
                    }
                    for p in PERSONAS
                ],
            }
        )

    def _commands(self, key: str) -> list[dict[str, str]]:
        """What the person's `/` button lists: their chat's own menu (a staff member's) if the
        bot set one, else the list for everyone, in their app's language, as Telegram does."""
        user = self.users.get(key)
        if user is None:
            return []
        return self.emulator.commands_shown(user.id, user.info.language_code)

    async def chat(self, request: web.Request) -> web.Response:
        user = self._user(request)
        chat = self._chat_state(user)
        try:
            after = int(request.query.get("after", "-1"))
        except ValueError:
            raise web.HTTPBadRequest(text="after must be a number") from None
        deadline = time.monotonic() + LONG_POLL_SECONDS
        while len(chat.events) <= after and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await chat.notifier.wait(remaining)
        # Several changes often come in a burst (an answer, then an edit): gather them into one
        # response rather than re-render the chat for each.
        if after >= 0 and not self._closing:
            await asyncio.sleep(0.05)
        return web.json_response(self._snapshot(user))

    async def send(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        if len(text) > MAX_TEXT:
            raise web.HTTPBadRequest(text=f"a message holds at most {MAX_TEXT} characters")
        # send_text marks /commands with bot_command entities, as Telegram clients do.
        await user.send_text(text)
        return web.json_response(self._snapshot(user))

    async def press(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        data, message_id = body.get("data"), body.get("message_id")
        if not isinstance(data, str) or not isinstance(message_id, int):
            raise web.HTTPBadRequest(text="need data (string) and message_id (number)")
        # A button of a message deleted or edited away meanwhile still reaches the bot, as in
        # Telegram (the bot decides what an old button does).
        answer = await user.press_data(data, message_id, timeout=PRESS_WAIT_SECONDS)
        result: dict[str, Any] = {"answer": None}
        if answer is not None:
            result["answer"] = {"text": answer.text, "alert": answer.show_alert}
        return web.json_response(result)

    async def reply(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        text = str(body.get("text") or "")
        try:
            # Contact and location buttons send the persona's own phone / demo location.
            await user.tap_reply(text)
        except AssertionError:
            # The keyboard changed before the tap arrived (a fast double tap, another tab).
            raise web.HTTPConflict(text="that button is no longer shown") from None
        return web.json_response(self._snapshot(user))

    async def photo(self, request: web.Request) -> web.Response:
        user = self._user(request)
        if not request.content_type.startswith("multipart/"):
            raise web.HTTPBadRequest(text="send the picture as multipart/form-data")
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="no file in the form")
        content = upload.file.read()
        if not content:
            raise web.HTTPBadRequest(text="the file is empty")
        caption = str(form.get("caption") or "").strip()[:1024] or None
        mime = upload.content_type or ""
        if mime in ("image/jpeg", "image/png", "image/webp", "image/gif"):
            await user.send_photo(caption, content=content)
        else:
            # Anything else goes as a document, as Telegram sends files it cannot show inline.
            await user.send_document(
                upload.filename or "file",
                mime or "application/octet-stream",
                content,
                caption=caption,
            )
        return web.json_response(self._snapshot(user))

    async def voice(self, request: web.Request) -> web.Response:
        """A voice note as the emulator's simulated user sends one (a short sample recording:
        the page records no microphone)."""
        user = self._user(request)
        duration = (await self._body(request)).get("duration", VOICE_SECONDS)
        if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= 600:
            raise web.HTTPBadRequest(text="duration: whole seconds from 1 to 600")
        await user.send_voice(duration)
        return web.json_response(self._snapshot(user))

    async def sticker(self, request: web.Request) -> web.Response:
        user = self._user(request)
        emoji = (await self._body(request)).get("emoji")
        if not isinstance(emoji, str) or not 1 <= len(emoji) <= 8 or emoji.isspace():
            raise web.HTTPBadRequest(text="emoji: the sticker's emoji")
        await user.send_sticker(emoji)
        return web.json_response(self._snapshot(user))

    async def favicon(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC_DIR / "favicon.svg", headers={"Content-Type": "image/svg+xml"}
        )

    async def file(self, request: web.Request) -> web.Response:
        stored = self.emulator.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        headers = {"Cache-Control": "private, max-age=3600"}
        if stored.file_name:
            # RFC 5987 form: file names may hold quotes or non-Latin characters.
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.file_name)}"
        return web.Response(
            body=stored.content,
            content_type=sniff_mime(stored.content, stored.mime_type),
            headers=headers,
        )
