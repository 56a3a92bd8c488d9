"""The test-facing side: simulated users and read-only views of chats and messages.

A SimulatedUser does what a person does in a Telegram client (types, taps
buttons, shares a contact, blocks the bot) by changing the emulator state,
which turns into updates for the bot; it then waits for the bot's reaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.emulator.entities import detect_bot_commands, utf16_len
from playground.emulator.state import (
    BotState,
    CallbackQueryState,
    ChatState,
    EmulatorState,
    StoredMessage,
    UserInfo,
)

# Tiny but recognisable file contents, so downloads by the bot can be checked byte for byte.
SAMPLE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SAMPLE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
SAMPLE_OGG = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"
SAMPLE_WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 "


@dataclass(frozen=True)
class InlineButton:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ReplyButton:
    text: str
    request_contact: bool = False
    request_location: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery."""

    text: str | None
    show_alert: bool = False
    url: str | None = None


def _reply_rows(keyboard: dict[str, Any] | None) -> list[list[ReplyButton]] | None:
    if keyboard is None:
        return None
    return [
        [
            ReplyButton(b["text"], bool(b.get("request_contact")), bool(b.get("request_location")))
            for b in row
        ]
        for row in keyboard["keyboard"]
    ]


class BotMessage:
    """A live view of one message in a chat (sent by the bot or by a user)."""

    def __init__(self, stored: StoredMessage) -> None:
        self._stored = stored

    @property
    def message_id(self) -> int:
        return self._stored.message_id

    @property
    def chat_id(self) -> int:
        return self._stored.chat_id

    @property
    def from_bot(self) -> bool:
        return self._stored.from_bot

    @property
    def kind(self) -> str:
        return self._stored.kind

    @property
    def text(self) -> str:
        """Plain text as a person reads it (the caption for media)."""
        return self._stored.visible_text

    @property
    def entities(self) -> list[dict[str, Any]]:
        raw = self._stored.raw
        return list(raw.get("entities") or raw.get("caption_entities") or [])

    @property
    def html(self) -> str | None:
        """The text exactly as the bot sent it when it used a parse_mode."""
        return self._stored.source_text

    @property
    def parse_mode(self) -> str | None:
        return self._stored.parse_mode

    @property
    def buttons(self) -> list[list[InlineButton]]:
        markup = self._stored.inline_keyboard or {}
        return [
            [InlineButton(b["text"], b.get("callback_data"), b.get("url")) for b in row]
            for row in markup.get("inline_keyboard", [])
        ]

    @property
    def reply_keyboard(self) -> list[list[ReplyButton]] | None:
        return _reply_rows(self._stored.reply_keyboard)

    @property
    def remove_keyboard(self) -> bool:
        return self._stored.remove_keyboard

    @property
    def edited(self) -> bool:
        return self._stored.edited

    @property
    def deleted(self) -> bool:
        return self._stored.deleted

    @property
    def date(self) -> int:
        return self._stored.date

    @property
    def forward_origin(self) -> dict[str, Any] | None:
        return self._stored.raw.get("forward_origin")

    @property
    def copied_from(self) -> tuple[int, int] | None:
        return self._stored.copied_from

    @property
    def raw(self) -> dict[str, Any]:
        return self._stored.raw

    @property
    def file_id(self) -> str | None:
        """file_id of the media (largest photo size), None for text and the like."""
        media = self._stored.raw.get(self.kind)
        if isinstance(media, list) and media:
            media = media[-1]
        return media.get("file_id") if isinstance(media, dict) else None

    def button(self, text: str) -> InlineButton | None:
        return next((b for row in self.buttons for b in row if b.text == text), None)

    def describe(self) -> str:
        """One transcript line."""
        who = "bot" if self.from_bot else f"user {self._stored.raw.get('from', {}).get('id')}"
        flags = "".join(
            f" ({flag})" for flag, on in (("edited", self.edited), ("deleted", self.deleted)) if on
        )
        body = self.text
        if self.kind not in ("text", "service"):
            body = f"<{self.kind}> {body}".rstrip()
        if self.forward_origin:
            body = f"<forwarded> {body}"
        line = f"[{self.message_id}] {who}{flags}: {body}"
        if buttons := self.buttons:
            line += "  [inline: " + " | ".join(b.text for row in buttons for b in row) + "]"
        if keyboard := self.reply_keyboard:
            line += "  [keyboard: " + " | ".join(b.text for row in keyboard for b in row) + "]"
        return line

    def __repr__(self) -> str:
        return f"BotMessage({self.describe()!r})"


class ChatView:
    """What a participant sees in one chat."""

    def __init__(self, chat: ChatState) -> None:
        self._chat = chat

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def type(self) -> str:
        return self._chat.type

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    @property
    def messages(self) -> list[BotMessage]:
        """Visible messages in order; deleted ones are gone."""
        return [BotMessage(m) for m in self._chat.visible_messages()]

    def bot_messages(self) -> list[BotMessage]:
        return [m for m in self.messages if m.from_bot]

    def last_bot_message(self) -> BotMessage | None:
        messages = self.bot_messages()
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> list[list[ReplyButton]] | None:
        """The reply keyboard currently shown under the input field."""
        return _reply_rows(self._chat.reply_keyboard)

    def transcript(self) -> str:
        lines = [BotMessage(m).describe() for m in self._chat.messages.values()]
        return "\n".join(lines) if lines else "(no messages)"


class SimulatedUser:
    def __init__(
        self,
        state: EmulatorState,
        bot: BotState,
        info: UserInfo,
        location: tuple[float, float] = (-2.21, 113.92),
    ) -> None:
        self._state = state
        self._bot = bot
        self.info = info
        self.location = location
        self._cursors: dict[int, int] = {}
        self._last_action = 0.0

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def first_name(self) -> str:
        return self.info.first_name

    @property
    def phone_number(self) -> str | None:
        return self.info.phone_number

    @property
    def chat(self) -> ChatView:
        return ChatView(self._state.private_chat(self._bot, self.info))

    def _chat_state(self, chat_id: int | None) -> ChatState:
        if chat_id is None:
            return self._state.private_chat(self._bot, self.info)
        chat = self._bot.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} does not exist; create it with emu.create_group")
        return chat

    def _mark_action(self, chat: ChatState) -> None:
        # wait_for only looks at what the bot does after this point.
        self._cursors[chat.id] = len(chat.events)
        self._last_action = time.monotonic()

    async def _send(self, content: dict[str, Any], chat_id: int | None) -> dict[str, Any]:
        chat = self._chat_state(chat_id)
        if chat.blocked:
            raise RuntimeError(f"user {self.id} has blocked the bot; call unblock() first")
        self._mark_action(chat)
        message = self._state.user_sends(self._bot, self.info, content, chat.id)
        await asyncio.sleep(0)
        return message.raw

    def _file(self, kind: str, content: bytes, **fields: Any) -> dict[str, Any]:
        stored = self._state.files.add(
            kind, content, fields.pop("file_name", None), fields.get("mime_type")
        )
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            **({"file_name": stored.file_name} if stored.file_name else {}),
            **{k: v for k, v in fields.items() if v is not None},
        }

    @staticmethod
    def _with_caption(content: dict[str, Any], caption: str | None) -> dict[str, Any]:
        if caption:
            content["caption"] = caption
        return content

    # --- sending ------------------------------------------------------------------------------

    async def send_text(
        self,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Send a text message; /commands get bot_command entities like in real clients."""
        content: dict[str, Any] = {"text": text}
        found = (
            entities
            if entities is not None
            else [e.to_bot_api() for e in detect_bot_commands(text)]
        )
        if found:
            content["entities"] = found
        return await self._send(content, chat_id)

    async def send_command(
        self, command: str, args: str | None = None, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return await self.send_text(text, entities=[entity], chat_id=chat_id)

    async def send_contact(
        self,
        phone: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact; unless another person's name or id is given it is the user's own."""
        own = user_id is None and first_name is None
        contact: dict[str, Any] = {
            "phone_number": phone or self.info.phone_number or f"+62812{self.id:07d}",
            "first_name": first_name or self.info.first_name,
        }
        if last := (last_name or self.info.last_name) if own else last_name:
            contact["last_name"] = last
        if (contact_user := self.id if own else user_id) is not None:
            contact["user_id"] = contact_user
        return await self._send({"contact": contact}, chat_id)

    async def send_location(
        self, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return await self._send({"location": location}, chat_id)

    async def send_photo(
        self,
        caption: str | None = None,
        *,
        content: bytes = SAMPLE_JPEG,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        sizes = [
            self._file("photo", content, width=90, height=90),
            self._file("photo", content, width=1280, height=960),
        ]
        return await self._send(self._with_caption({"photo": sizes}, caption), chat_id)

    async def send_document(
        self,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        content: bytes = SAMPLE_PDF,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        document = self._file("document", content, file_name=file_name, mime_type=mime_type)
        return await self._send(self._with_caption({"document": document}, caption), chat_id)

    async def send_video(
        self,
        caption: str | None = None,
        *,
        duration: int = 3,
        content: bytes = SAMPLE_MP4,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        video = self._file(
            "video", content, width=640, height=360, duration=duration, mime_type="video/mp4"
        )
        return await self._send(self._with_caption({"video": video}, caption), chat_id)

    async def send_voice(
        self, duration: int = 5, *, content: bytes = SAMPLE_OGG, chat_id: int | None = None
    ) -> dict[str, Any]:
        voice = self._file("voice", content, duration=duration, mime_type="audio/ogg")
        return await self._send({"voice": voice}, chat_id)

    async def send_sticker(
        self, emoji: str = "👍", *, chat_id: int | None = None
    ) -> dict[str, Any]:
        sticker = self._file(
            "sticker",
            SAMPLE_WEBP,
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
            emoji=emoji,
        )
        return await self._send({"sticker": sticker}, chat_id)

    def delete_own(self, message_id: int, *, chat_id: int | None = None) -> None:
        """Delete one of the user's own messages, as a client does: a private chat's bot gets
        no update, and Telegram can no longer copy or forward the message."""
        chat = self._chat_state(chat_id)
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted or stored.from_bot:
            raise LookupError(f"user {self.id} has no message {message_id} in chat {chat.id}")
        self._state.delete_message(chat, stored)

    # --- buttons ------------------------------------------------------------------------------

    def _find_button(
        self, text: str, message: BotMessage | None
    ) -> tuple[ChatState, BotMessage, InlineButton]:
        if message is not None:
            chat = self._chat_state(message.chat_id)
            candidates = [message]
        else:
            chat = self._chat_state(None)
            candidates = list(reversed(ChatView(chat).bot_messages()))
        for candidate in candidates:
            if (button := candidate.button(text)) is not None:
                return chat, candidate, button
        raise AssertionError(
            f"no inline button {text!r} in chat {chat.id}. Transcript:\n"
            + ChatView(chat).transcript()
        )

    async def press(
        self,
        button_text: str,
        message: BotMessage | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> CallbackAnswer | None:
        """Tap an inline button; returns the bot's callback answer, None if it never answers."""
        chat, target, button = self._find_button(button_text, message)
        if button.callback_data is None:
            raise AssertionError(f"button {button_text!r} is not a callback button: {button}")
        return await self._callback(chat, target.message_id, button.callback_data, timeout)

    async def press_data(
        self,
        callback_data: str,
        message_id: int,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> CallbackAnswer | None:
        """Send any callback data for any message id, e.g. a forged or replayed button."""
        return await self._callback(self._chat_state(chat_id), message_id, callback_data, timeout)

    async def _callback(
        self, chat: ChatState, message_id: int, data: str, wait_seconds: float
    ) -> CallbackAnswer | None:
        if chat.blocked:
            raise RuntimeError(f"user {self.id} has blocked the bot; call unblock() first")
        self._mark_action(chat)
        query = self._state.user_presses(self._bot, self.info, chat, message_id, data)
        return await self._answer(query, wait_seconds)

    @staticmethod
    async def _answer(query: CallbackQueryState, wait_seconds: float) -> CallbackAnswer | None:
        assert query.waiter is not None  # created together with the query
        try:
            async with asyncio.timeout(wait_seconds):
                answer = await asyncio.shield(query.waiter)
        except TimeoutError:
            return None
        return CallbackAnswer(answer["text"], answer["show_alert"], answer["url"])

    async def tap_reply(self, button_text: str) -> dict[str, Any]:
        """Tap a reply-keyboard button: sends its text, or the contact/location it requests."""
        chat = self._chat_state(None)
        rows = ChatView(chat).reply_keyboard
        button = next((b for row in rows or [] for b in row if b.text == button_text), None)
        if button is None:
            raise AssertionError(
                f"no reply keyboard button {button_text!r} is shown. Transcript:\n"
                + ChatView(chat).transcript()
            )
        if button.request_contact:
            return await self.send_contact()
        if button.request_location:
            return await self.send_location(*self.location)
        return await self.send_text(button.text)

    # --- waiting ------------------------------------------------------------------------------

    async def wait_for(
        self,
        text: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
        predicate: Callable[[BotMessage], bool] | None = None,
        chat_id: int | None = None,
    ) -> BotMessage:
        """The next new or edited bot message since the last action (optionally matching)."""
        chat = self._chat_state(chat_id)
        deadline = time.monotonic() + timeout
        while True:
            for index in range(self._cursors.get(chat.id, 0), len(chat.events)):
                event = chat.events[index]
                if not event.message.from_bot or event.kind == "delete":
                    continue
                view = BotMessage(event.message)
                if text is not None and text.casefold() not in event.text.casefold():
                    continue
                if predicate is not None and not predicate(view):
                    continue
                self._cursors[chat.id] = index + 1
                return view
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = f" containing {text!r}" if text is not None else ""
                raise AssertionError(
                    f"no bot message{wanted} in chat {chat.id} within {timeout}s. Transcript:\n"
                    + ChatView(chat).transcript()
                )
            await chat.notifier.wait(remaining)

    async def wait_idle(
        self,
        quiet: float = 0.3,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
    ) -> None:
        """Return once the bot has sent nothing to this chat for ``quiet`` seconds."""
        chat = self._chat_state(None)
        started = time.monotonic()
        while True:
            now = time.monotonic()
            idle = now - max(chat.last_bot_activity, self._last_action)
            if idle >= quiet:
                return
            if now - started >= timeout:
                raise AssertionError(
                    f"bot kept sending to chat {chat.id} for {timeout}s. Transcript:\n"
                    + ChatView(chat).transcript()
                )
            await asyncio.sleep(min(quiet - idle, timeout - (now - started)) + 0.001)

    # --- blocking -----------------------------------------------------------------------------

    def block(self) -> None:
        """Block the bot: sends to this chat fail with 403 and the bot gets my_chat_member."""
        self._state.set_blocked(self._bot, self.info, True)

    def unblock(self) -> None:
        self._state.set_blocked(self._bot, self.info, False)
