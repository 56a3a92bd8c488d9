"""BotAPIEmulator: the object tests hold; wires state, HTTP server, webhooks and users."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp

from playground.emulator.dispatch import Dispatcher
from playground.emulator.faults import Faults, Hold
from playground.emulator.limits import RateLimiter, RateLimits
from playground.emulator.methods_bot import commands_in_private_chat, scope_key
from playground.emulator.recording import Call, Stats
from playground.emulator.scenario import ChatView, SimulatedUser
from playground.emulator.server import ApiServer
from playground.emulator.state import BotState, DeliveredUpdate, EmulatorState, UserInfo
from playground.emulator.webhook import WebhookWorker

DEFAULT_TOKEN = "123456:TEST-token"
DEFAULT_USERNAME = "lapor_aman_test_bot"
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")


class BotAPIEmulator:
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.time,
        *,
        username: str = DEFAULT_USERNAME,
        first_name: str = "Lapor Aman (test)",
        rate_clock: Callable[[], float] = time.monotonic,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        """``clock`` (epoch seconds) dates messages and drives the 48 h / 15 min windows;
        ``rate_clock`` (monotonic seconds) drives the flood limits."""
        self.state = EmulatorState(clock=clock)
        self.token = token
        self.rate_limits = rate_limits if rate_limits is not None else RateLimits()
        self.faults = Faults()
        self.stats = Stats()
        self.calls: list[Call] = []
        self.webhook_retry_delay = webhook_retry_delay
        self._limiter = RateLimiter(lambda: self.rate_limits, rate_clock)
        self._dispatcher = Dispatcher(
            self.state, self, self._limiter, self.faults, self.stats, self.calls
        )
        self._server = ApiServer(self.state, self._dispatcher, self.faults)
        self._session: aiohttp.ClientSession | None = None
        self._webhooks: dict[str, WebhookWorker] = {}
        self._users: dict[tuple[str, int], SimulatedUser] = {}
        self._started = False
        self._stopping = False
        self.add_bot(token, username, first_name)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotAPIEmulator:
        await self._server.start(host, port)
        self._session = aiohttp.ClientSession()
        self._started = True
        for bot in self.state.bots.values():
            self.webhook_changed(bot)
        return self

    async def stop(self) -> None:
        self._stopping = True
        for bot in self.state.bots.values():
            # Pending long polls return at once instead of holding up the shutdown.
            bot.updates.notifier.notify()
        for worker in list(self._webhooks.values()):
            await worker.stop()
        self._webhooks.clear()
        await self._server.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._started = False
        self._stopping = False

    async def __aenter__(self) -> BotAPIEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What the bot uses as TELEGRAM_API_URL."""
        if not self._started:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def port(self) -> int:
        return self._server.port

    # --- bots -----------------------------------------------------------------------------

    @property
    def bot(self) -> BotState:
        return self.state.bots[self.token]

    @property
    def bot_id(self) -> int:
        return self.bot.id

    @property
    def bot_username(self) -> str:
        return self.bot.username

    def add_bot(self, token: str, username: str, first_name: str | None = None) -> int:
        """Register another bot token (with its own chats and updates); returns its id."""
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"{token!r} does not look like a bot token (<digits>:<secret>)")
        return self.state.add_bot(token, username, first_name).id

    def _bot(self, token: str | None) -> BotState:
        return self.state.bots[token or self.token]

    # --- runtime hooks used by methods (registry.Runtime) ---------------------------------

    def is_down(self) -> bool:
        return self.faults.outage == "down" or self._stopping

    def webhook_changed(self, bot: BotState) -> None:
        worker = self._webhooks.get(bot.token)
        if not bot.webhook.url or not self._started or self._session is None:
            if worker is not None:
                worker.cancel()  # awaited in stop()
            return
        if worker is None:
            worker = self._webhooks[bot.token] = WebhookWorker(
                self.state,
                bot,
                self._session,
                self._dispatcher.execute,
                lambda: self.faults.outage is not None,
                self.webhook_retry_delay,
            )
        worker.start()

    def set_stars(self, stars: float, token: str | None = None) -> None:
        """The bot's Telegram Stars balance, which paid broadcasts draw on (0.1 each)."""
        self._bot(token).star_tenths = round(stars * 10)

    def stars(self, token: str | None = None) -> float:
        return self._bot(token).star_tenths / 10

    # --- faults ---------------------------------------------------------------------------

    def set_outage(self, mode: str | None) -> None:
        """None: normal; "502": every method answers 502 Bad Gateway; "down": no HTTP answer;
        "lost": every method is executed, then answers 502 (its answer lost on the way)."""
        self.faults.set_outage(mode)
        if mode == "down":
            self._server.abort_in_flight()
            for bot in self.state.bots.values():
                bot.updates.notifier.notify()

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, if given) fail with this
        Telegram error."""
        self.faults.fail_next(method, error_code, description, retry_after, times, chat_id)

    def hold_answers(self, method: str, chat_id: int | None = None) -> Hold:
        """Carry out calls of ``method`` (to ``chat_id``, if given) but keep their answers until
        the returned hold is released: a message sent, its sender not told so yet."""
        return self.faults.hold(method, chat_id)

    # --- people and chats -----------------------------------------------------------------

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "Siti",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        *,
        phone_number: str | None = None,
        token: str | None = None,
    ) -> SimulatedUser:
        """The simulated person with this id (created once; the private chat id is the user id)."""
        bot = self._bot(token)
        key = (bot.token, user_id)
        if key not in self._users:
            info = self.state.register_user(
                UserInfo(
                    user_id,
                    first_name,
                    last_name,
                    username,
                    language_code,
                    phone_number or f"+62812{user_id:07d}",
                )
            )
            self.state.private_chat(bot, info)
            self._users[key] = SimulatedUser(self.state, bot, info)
        return self._users[key]

    def create_group(
        self, chat_id: int, title: str, *, supergroup: bool | None = None, token: str | None = None
    ) -> ChatView:
        """A group the bot is in; users send there with ``chat_id=`` on their send_* methods."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        is_super = str(chat_id).startswith("-100") if supergroup is None else supergroup
        kind = "supergroup" if is_super else "group"
        return ChatView(self.state.group_chat(self._bot(token), chat_id, title, kind))

    def chat(self, chat_id: int, token: str | None = None) -> ChatView:
        chat = self._bot(token).chats.get(chat_id)
        if chat is None:
            raise KeyError(f"chat {chat_id} does not exist")
        return ChatView(chat)

    # --- inspection -----------------------------------------------------------------------

    def commands(
        self, language_code: str = "", scope: dict[str, Any] | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Commands set with setMyCommands for this scope (default scope) and language."""
        return list(self._bot(token).commands.get((scope_key(scope), language_code), []))

    def commands_shown(
        self, chat_id: int, language_code: str | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """The commands a Telegram client lists under `/` in this private chat, for a user
        whose app speaks `language_code`: the chat's own list (BotCommandScopeChat) before
        the one for all private chats and the default, as Telegram resolves them."""
        return commands_in_private_chat(self._bot(token).commands, chat_id, language_code or "")

    def calls_of(self, method: str, token: str | None = None) -> list[Call]:
        """Recorded calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [
            c
            for c in self.calls
            if c.method.lower() == wanted and (token is None or c.token == token)
        ]

    @property
    def delivered_updates(self) -> list[DeliveredUpdate]:
        """Every update handed to a bot, by getUpdates or webhook, in delivery order."""
        return self.state.delivered

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.state.files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.content
