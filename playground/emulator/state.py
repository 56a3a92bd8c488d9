"""Bots, chats, messages, files and updates: the emulator's memory, with no HTTP in it.

Both the Bot API methods (methods_*.py) and the simulated users (scenario.py)
change the world only through this module, so a future JSON control API for a
browser playground can drive the very same state.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from playground.emulator.files import FileStore
from playground.emulator.notify import Notifier

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# Telegram's default when allowed_updates is empty: everything except these three.
DEFAULT_ALLOWED_UPDATES = frozenset(UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CONTENT_KEYS = (
    "text",
    "entities",
    "link_preview_options",
    "photo",
    "document",
    "video",
    "voice",
    "audio",
    "animation",
    "sticker",
    "video_note",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "caption",
    "caption_entities",
    "has_media_spoiler",
    "show_caption_above_media",
)
MEDIA_KINDS = ("photo", "document", "video", "voice", "audio", "animation", "sticker", "video_note")
MESSAGE_KINDS = (*MEDIA_KINDS, "text", "location", "venue", "contact", "poll", "dice")


@dataclass
class UserInfo:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        if self.last_name:
            result["last_name"] = self.last_name
        if self.username:
            result["username"] = self.username
        if self.language_code:
            result["language_code"] = self.language_code
        return result


@dataclass
class StoredMessage:
    """A message in a chat plus what only the emulator knows about it."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    raw: dict[str, Any]
    source_text: str | None = None
    parse_mode: str | None = None
    reply_keyboard: dict[str, Any] | None = None
    remove_keyboard: bool = False
    edited: bool = False
    deleted: bool = False
    copied_from: tuple[int, int] | None = None

    @property
    def kind(self) -> str:
        return next((key for key in MESSAGE_KINDS if key in self.raw), "service")

    @property
    def visible_text(self) -> str:
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def inline_keyboard(self) -> dict[str, Any] | None:
        markup = self.raw.get("reply_markup")
        return markup if isinstance(markup, dict) else None


@dataclass
class ChatEvent:
    """Something a person watching the chat would notice: a new, edited or deleted message."""

    seq: int
    kind: str
    message: StoredMessage
    text: str
    monotonic: float


class ChatState:
    def __init__(
        self,
        chat_id: int,
        kind: str,
        *,
        user: UserInfo | None = None,
        title: str | None = None,
        username: str | None = None,
    ) -> None:
        self.id = chat_id
        self.type = kind
        self.user = user
        self.title = title
        self.username = username or (user.username if user else None)
        self.messages: dict[int, StoredMessage] = {}
        self.events: list[ChatEvent] = []
        self.blocked = False
        self.reply_keyboard: dict[str, Any] | None = None
        self.members: set[int] = set()
        self.notifier = Notifier()
        self.last_bot_activity = 0.0
        self._message_ids = itertools.count(1)

    def api_object(self) -> dict[str, Any]:
        result: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            result["first_name"] = self.user.first_name
            if self.user.last_name:
                result["last_name"] = self.user.last_name
        if self.title is not None:
            result["title"] = self.title
        if self.username:
            result["username"] = self.username
        return result

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def record(self, kind: str, message: StoredMessage, monotonic: float) -> None:
        event = ChatEvent(len(self.events), kind, message, message.visible_text, monotonic)
        self.events.append(event)
        if message.from_bot:
            self.last_bot_activity = monotonic
        self.notifier.notify()

    def visible_messages(self) -> list[StoredMessage]:
        return [m for m in self.messages.values() if not m.deleted]


@dataclass
class CallbackQueryState:
    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created_at: float
    answered: bool = False
    answer: dict[str, Any] | None = None
    waiter: asyncio.Future[dict[str, Any]] | None = None


@dataclass
class WebhookConfig:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class UpdateQueue:
    """Updates waiting for confirmation, as Telegram keeps them for one bot."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.notifier = Notifier()
        self.allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._ids = itertools.count(100_000_001)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._ids), kind: payload}
        self.pending.append(update)
        self.notifier.notify()
        return update

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES

    def confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates (Bot API semantics).
            self.pending = self.pending[offset:]
        elif offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def available(self, limit: int) -> list[dict[str, Any]]:
        # Updates of types the bot did not ask for are never delivered, so drop them.
        self.pending = [u for u in self.pending if update_kind(u) in self.allowed]
        return self.pending[:limit]

    def remove(self, update_id: int) -> None:
        self.pending = [u for u in self.pending if u["update_id"] != update_id]


def update_kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


@dataclass
class PollTicket:
    """One pending getUpdates; a newer one marks it terminated (the 409 conflict)."""

    terminated: bool = False


# 1,000 Stars: enough for 10,000 paid broadcasts; tests set less to see a refusal.
DEFAULT_STAR_TENTHS = 10_000


class BotState:
    def __init__(self, token: str, username: str, first_name: str) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.chats: dict[int, ChatState] = {}
        self.updates = UpdateQueue()
        self.webhook = WebhookConfig()
        self.active_poll: PollTicket | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.texts: dict[tuple[str, str], str] = {}
        self.callback_queries: dict[str, CallbackQueryState] = {}
        self.delivered_ids: set[int] = set()
        # The bot's Telegram Stars, in tenths: a paid broadcast costs 0.1 Star.
        self.star_tenths = DEFAULT_STAR_TENTHS

    def api_user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def find_chat(self, chat_id: int | str) -> ChatState | None:
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            return next(
                (c for c in self.chats.values() if (c.username or "").lower() == name), None
            )
        return self.chats.get(chat_id)


@dataclass
class DeliveredUpdate:
    token: str
    update: dict[str, Any]
    via: str
    at: float


@dataclass
class EmulatorState:
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    bots: dict[str, BotState] = field(default_factory=dict)
    users: dict[int, UserInfo] = field(default_factory=dict)
    files: FileStore = field(default_factory=FileStore)
    delivered: list[DeliveredUpdate] = field(default_factory=list)
    serials: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def now(self) -> int:
        return int(self.clock())

    def next_serial(self) -> int:
        """A number unique within this emulator, for ids Telegram makes up (album ids...)."""
        return next(self.serials)

    def add_bot(self, token: str, username: str, first_name: str | None = None) -> BotState:
        if token not in self.bots:
            self.bots[token] = BotState(token, username, first_name or username)
        return self.bots[token]

    def register_user(self, user: UserInfo) -> UserInfo:
        return self.users.setdefault(user.id, user)

    def private_chat(self, bot: BotState, user: UserInfo) -> ChatState:
        chat = bot.chats.get(user.id)
        if chat is None:
            chat = bot.chats[user.id] = ChatState(user.id, "private", user=user)
            chat.members = {user.id, bot.id}
        return chat

    def group_chat(self, bot: BotState, chat_id: int, title: str, kind: str) -> ChatState:
        chat = bot.chats.get(chat_id)
        if chat is None:
            chat = bot.chats[chat_id] = ChatState(chat_id, kind, title=title)
            chat.members.add(bot.id)
        return chat

    # --- messages -------------------------------------------------------------------------

    def add_message(
        self,
        bot: BotState,
        chat: ChatState,
        *,
        from_bot: bool,
        sender: dict[str, Any],
        content: dict[str, Any],
        **extra: Any,
    ) -> StoredMessage:
        message_id = chat.next_message_id()
        date = self.now()
        raw = {"message_id": message_id, "from": sender, "chat": chat.api_object(), "date": date}
        raw.update(content)
        message = StoredMessage(chat.id, message_id, from_bot, date, raw, **extra)
        chat.messages[message_id] = message
        if from_bot:
            if message.reply_keyboard is not None:
                chat.reply_keyboard = message.reply_keyboard
            elif message.remove_keyboard:
                chat.reply_keyboard = None
        chat.record("new", message, self.monotonic())
        return message

    def edit_message(self, chat: ChatState, message: StoredMessage, raw: dict[str, Any]) -> None:
        message.raw = raw
        message.edited = True
        chat.record("edit", message, self.monotonic())

    def delete_message(self, chat: ChatState, message: StoredMessage) -> None:
        message.deleted = True
        chat.record("delete", message, self.monotonic())

    # --- what simulated users do ----------------------------------------------------------

    def user_sends(
        self,
        bot: BotState,
        user: UserInfo,
        content: dict[str, Any],
        chat_id: int | None = None,
    ) -> StoredMessage:
        chat = self.private_chat(bot, user) if chat_id is None else bot.chats[chat_id]
        chat.members.add(user.id)
        message = self.add_message(bot, chat, from_bot=False, sender=user.to_api(), content=content)
        bot.updates.push("message", message.raw)
        return message

    def user_presses(
        self,
        bot: BotState,
        user: UserInfo,
        chat: ChatState,
        message_id: int,
        data: str,
    ) -> CallbackQueryState:
        stored = chat.messages.get(message_id)
        if stored is not None and not stored.deleted:
            message: dict[str, Any] = stored.raw
        else:
            # Bots receive an InaccessibleMessage (date 0) for messages they can't see.
            message = {"chat": chat.api_object(), "message_id": message_id, "date": 0}
        query = CallbackQueryState(
            id=str(secrets.randbits(62)),
            user_id=user.id,
            chat_id=chat.id,
            message_id=message_id,
            data=data,
            created_at=self.clock(),
            waiter=asyncio.get_running_loop().create_future(),
        )
        bot.callback_queries[query.id] = query
        payload = {
            "id": query.id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": str((bot.id * 1_000_003 + chat.id) & 0x7FFFFFFFFFFF),
            "data": data,
        }
        bot.updates.push("callback_query", payload)
        return query

    def set_blocked(self, bot: BotState, user: UserInfo, blocked: bool) -> None:
        chat = self.private_chat(bot, user)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        member = {"user": bot.api_user(), "status": "member"}
        kicked = {"user": bot.api_user(), "status": "kicked", "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        payload = {
            "chat": chat.api_object(),
            "from": user.to_api(),
            "date": self.now(),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        bot.updates.push("my_chat_member", payload)

    def record_delivery(self, bot: BotState, updates: list[dict[str, Any]], via: str) -> None:
        for update in updates:
            if update["update_id"] not in bot.delivered_ids:
                bot.delivered_ids.add(update["update_id"])
                self.delivered.append(DeliveredUpdate(bot.token, update, via, self.clock()))
