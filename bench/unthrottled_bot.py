"""`python -m bench.unthrottled_bot`: `python -m bot run` with the sender's own flood limits
lifted, for figure 2's "limits lifted" runs.

Lifting Telegram's limits at the emulator alone measured the sender's budget (30 sends in any
1.05 s) as much as the bot's work: alerts stopped from 0.85 to 1.2 s into a burst of 50 while
the window was full. Here neither holds a send back, so what is left is the bot itself: the
Kirims, their commits, the sender's claims and records. The bot's code is unchanged; only the
defaults it builds its budget from are raised, in this process alone.
"""

from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass

import bot.app
from bot.config import Settings
from bot.sending.budget import SenderLimits


@dataclass(frozen=True)
class UnthrottledLimits(SenderLimits):
    global_per_second: float = 100_000.0
    per_chat_per_second: float = 1_000.0
    per_chat_burst: int = 1_000


def _unthrottled(settings: Settings) -> SenderLimits:
    return UnthrottledLimits(paid_alerts=settings.alert_paid_broadcast)


def main() -> None:
    # Where the service builds its sender's limits (bot.app.create_sender_limits).
    bot.app.create_sender_limits = _unthrottled
    sys.argv = ["bot", "run"]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
