"""A local Telegram Bot API emulator for testing bots over real HTTP.

    emu = BotAPIEmulator()
    await emu.start()                       # emu.base_url -> TELEGRAM_API_URL
    user = emu.user(1001, "Siti")
    await user.send_command("/start")
    reply = await user.wait_for("selamat")  # the bot long-polls and answers
    await user.press("Buat laporan")
    await emu.stop()

Modules: entities/markup_* (parse_mode, tdlib ports), links (URL rules), state (chats,
messages, updates; no HTTP), methods_* (Bot API semantics), limits (flood control),
dispatch/server/webhook (HTTP), scenario (simulated users), emulator (the facade).
"""

from playground.emulator.emulator import BotAPIEmulator
from playground.emulator.limits import RateLimits
from playground.emulator.recording import Call, Stats
from playground.emulator.scenario import (
    BotMessage,
    CallbackAnswer,
    ChatView,
    InlineButton,
    ReplyButton,
    SimulatedUser,
)

__all__ = [
    "BotAPIEmulator",
    "BotMessage",
    "Call",
    "CallbackAnswer",
    "ChatView",
    "InlineButton",
    "RateLimits",
    "ReplyButton",
    "SimulatedUser",
    "Stats",
]
