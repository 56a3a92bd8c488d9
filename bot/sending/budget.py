"""The sender's picture of Telegram's flood limits, kept in memory.

Telegram allows about 30 messages a second per bot, about one a second per chat and 20 a
minute per group, and answers anything over that with 429 and `retry_after`. Staying under
the limits ourselves is cheaper than being told: a 429 costs a whole second at least, and an
alert must not spend it. Times are plain seconds from the sender's clock.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass

# 429s from this many different chats within GLOBAL_429_WINDOW mean the bot-wide limit was hit
# (Telegram does not say which limit it was), so everything pauses, not only those chats.
GLOBAL_429_CHATS = 3
GLOBAL_429_WINDOW = 1.0
# Telegram's bot-wide limit: about 30 messages in any one second.
TELEGRAM_PER_SECOND = 30.0
# With allow_paid_broadcast (Bot API 7.11) a message is outside that limit, up to 1,000 a
# second, for 0.1 Telegram Stars from the bot's balance.
TELEGRAM_PAID_PER_SECOND = 1000.0
# The sender counts a send when it decides it, Telegram when it arrives, and two sends do not
# take equally long to get there: sends decided exactly one window apart can arrive less than
# one apart (one 429 in ~1,000 sends in the test suite on a busy machine). Every window and
# refill is stretched by this much so that such jitter never puts a send over a limit.
ARRIVAL_MARGIN = 0.05


@dataclass(frozen=True)
class SenderLimits:
    """How fast the sender may go. Defaults stay under Telegram's published limits."""

    # Sends in any one second, everything but the alerts' reserve (below) included.
    global_per_second: float = 25.0
    per_chat_per_second: float = 1.0
    # "Short bursts" over one a second per chat are allowed (Bot API FAQ), and the emulator
    # allows 3 as our model of it: an officer's second alert of a busy minute must not wait a
    # second behind the first (README, "Benchmarks", figure 2). Beyond the burst, waiting
    # alerts combine.
    per_chat_burst: int = 3
    group_per_minute: int = 20
    # BROADCAST_RATE; broadcasts also only get what the other lanes leave over.
    broadcast_per_second: float = 25.0
    # Sends of every second a broadcast may never use, so an alert always finds budget at once;
    # on top of global_per_second as far as Telegram's 30 allow.
    alert_reserve: int = 5
    # ALERT_PAID_BROADCAST: alerts that find the bot-wide window full go out at once as paid
    # broadcasts instead of waiting for it (at most this many a second).
    paid_alerts: bool = False
    paid_per_second: float = 900.0


class TokenBucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self._rate = rate
        self._capacity = capacity
        self._tokens = capacity
        self._stamp = now

    def available(self, now: float) -> float:
        if now > self._stamp:
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
        return self._tokens

    def take(self, now: float) -> None:
        # May go below zero when a pass had planned more than was left: the debt is paid by
        # waiting longer, never by sending over the limit again.
        self._tokens = self.available(now) - 1.0

    def give_back(self, now: float) -> None:
        self._tokens = min(self._capacity, self.available(now) + 1.0)

    def ready_at(self, now: float, amount: float = 1.0) -> float:
        """When at least `amount` tokens are there (one whole send by default)."""
        missing = amount - self.available(now)
        return now if missing <= 0 else now + missing / self._rate

    def full(self, now: float) -> bool:
        return self.available(now) >= self._capacity


class SlidingWindow:
    """At most `limit` sends in any `span` seconds: Telegram's own bot-wide model.

    A token bucket of one second's capacity refilling at the same rate lets twice the rate
    through in one second (a full bucket, then the refill): 50 sends in the second after a
    pause at 25/s, and Telegram's ~30 answered 429 and paused everything (README,
    "Benchmarks", figure 2).
    """

    def __init__(self, rate: float, margin: float = 0.0) -> None:
        span = 1.0 if rate >= 1.0 else 1.0 / rate
        self._limit = max(1, math.floor(rate * span + 1e-9))
        self._span = span + margin
        self._sent: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self._span:
            self._sent.popleft()

    def available(self, now: float) -> float:
        self._prune(now)
        return float(self._limit - len(self._sent))

    def take(self, now: float) -> None:
        self._sent.append(now)

    def give_back(self, now: float) -> None:
        if self._sent:
            self._sent.pop()

    def restamp(self, then: float, now: float) -> None:
        """The send counted at `then` had certainly arrived by `now`: count it from `now`."""
        try:
            self._sent.remove(then)
        except ValueError:
            return  # already out of the window, or given back
        bisect.insort(self._sent, now)

    def ready_at(self, now: float, amount: float = 1.0) -> float:
        """When at least `amount` sends fit in the window."""
        self._prune(now)
        excess = len(self._sent) - (self._limit - math.ceil(amount))
        if excess <= 0:
            return now
        if excess > len(self._sent):
            return math.inf  # more than the window ever holds
        return self._sent[excess - 1] + self._span


def counts_against_limits(api_method: str) -> bool:
    """What Telegram's flood limits apply to: a new message in a chat. Edits, answers to
    buttons and chat actions are not counted (the emulator models Telegram so)."""
    name = api_method.lower()
    return name.startswith(("send", "copy", "forward")) and name != "sendchataction"


def whole(tokens: float) -> int:
    return max(0, math.floor(tokens + 1e-9))


class RateBudget:
    """Global, per-chat, per-group and broadcast buckets, and pauses Telegram asked for."""

    def __init__(self, limits: SenderLimits, now: float) -> None:
        self._limits = limits
        window = limits.global_per_second
        if window < TELEGRAM_PER_SECOND:
            # The alerts' reserve comes on top of the regular rate, never past Telegram's 30:
            # a broadcast at 25/s leaves 5 sends of every second to alerts (a window of 25
            # with the reserve inside it held broadcasts to 20/s: README, "Benchmarks",
            # figure 3: 0.79).
            window = min(TELEGRAM_PER_SECOND, window + limits.alert_reserve)
        self._global = SlidingWindow(window, ARRIVAL_MARGIN)
        # A second's worth of burst, but never more than Telegram's bot-wide limit leaves
        # above the rate: a full bucket of 25 on top of 25/s put 45 copies into one second at
        # the start of every broadcast (and after every pause), Telegram answered 429 and
        # everything paused (README, "Benchmarks", figure 3: 0.78 of BROADCAST_RATE, 99 429s
        # per 1,000).
        # (A rate above Telegram's limit, which only tests set, keeps a second's worth.)
        rate = limits.broadcast_per_second
        headroom = TELEGRAM_PER_SECOND - rate
        burst = max(1.0, rate if headroom < 0 else min(rate, headroom))
        self._broadcast = TokenBucket(rate, burst, now)
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, TokenBucket] = {}
        self._paused_chats: dict[int, float] = {}
        self._paused_until = 0.0
        self._recent_429: deque[tuple[float, int]] = deque()
        self._last_broadcast = -math.inf
        # A reserve as large as the whole bucket would starve broadcasts for good.
        self._reserve = min(limits.alert_reserve, max(0, whole(window) - 1))
        self._paid = SlidingWindow(
            min(limits.paid_per_second, TELEGRAM_PAID_PER_SECOND), ARRIVAL_MARGIN
        )

    # --- reading ----------------------------------------------------------------------------

    def paused_until(self) -> float:
        return self._paused_until

    def global_sends(self, now: float) -> int:
        if now < self._paused_until:
            return 0
        return whole(self._global.available(now))

    def paid_sends(self, now: float) -> int:
        """Paid alerts that may go now: none while Telegram asked for a pause."""
        if now < self._paused_until:
            return 0
        return whole(self._paid.available(now))

    def broadcast_sends(self, now: float, *, planned: int = 0) -> int:
        """What a broadcast may use now: its own rate, and only the global budget left above
        the alerts' reserve once the `planned` sends of other lanes are taken."""
        spare = self.global_sends(now) - planned - self._reserve
        return max(0, min(whole(self._broadcast.available(now)), spare))

    def broadcasting(self, now: float) -> bool:
        """A broadcast's copy is among the sends of the bot-wide window."""
        return now - self._last_broadcast < 1.0 + ARRIVAL_MARGIN

    def chat_sends(self, chat_id: int, now: float) -> int:
        """Whole sends this chat allows now (per-chat bucket, group minute, any pause)."""
        if now < max(self._paused_until, self._paused_chats.get(chat_id, 0.0)):
            return 0
        allowed = whole(self._chat(chat_id, now).available(now))
        if chat_id < 0:
            allowed = min(allowed, whole(self._group(chat_id, now).available(now)))
        return allowed

    def chat_ready_at(self, chat_id: int, now: float) -> float:
        moments = [self._paused_until, self._paused_chats.get(chat_id, 0.0)]
        if chat_id in self._chats:
            moments.append(self._chats[chat_id].ready_at(now))
        if chat_id in self._groups:
            moments.append(self._groups[chat_id].ready_at(now))
        return max(now, *moments)

    def waiting_chats(self, now: float) -> dict[int, float]:
        """Chats that cannot take a message now, with when they can; forgets idle chats."""
        self._forget_idle(now)
        known = set(self._chats) | set(self._groups) | set(self._paused_chats)
        waiting = {chat: self.chat_ready_at(chat, now) for chat in known}
        return {chat: ready for chat, ready in waiting.items() if ready > now}

    def next_send_at(self, now: float, *, broadcast: bool) -> float:
        """When the global (and for broadcasts, the broadcast) budget next allows a send."""
        ready = max(now, self._paused_until, self._global.ready_at(now))
        if broadcast:
            above_reserve = self._global.ready_at(now, 1.0 + self._reserve)
            ready = max(ready, self._broadcast.ready_at(now), above_reserve)
        return ready

    # --- spending and being told off --------------------------------------------------------

    def take(self, chat_id: int, now: float, *, broadcast: bool) -> None:
        self._global.take(now)
        self._chat(chat_id, now).take(now)
        if chat_id < 0:
            self._group(chat_id, now).take(now)
        if broadcast:
            self._broadcast.take(now)
            self._last_broadcast = now

    def answered(self, sent_at: float, now: float, *, paid: bool) -> None:
        """Telegram answered a send counted at `sent_at`. Telegram's window counts it from its
        arrival, somewhere in between: from the answer on, it is never freed early, however
        long the request took to get there (a busy event loop, a slow network)."""
        (self._paid if paid else self._global).restamp(sent_at, now)

    def take_paid(self, chat_id: int, now: float) -> None:
        """A paid broadcast: outside the bot-wide window, inside its chat's limits."""
        self._paid.take(now)
        self._chat(chat_id, now).take(now)

    def give_back_paid(self, chat_id: int, now: float) -> None:
        self._paid.give_back(now)
        self._chat(chat_id, now).give_back(now)

    def take_elsewhere(self, now: float) -> None:
        """A send that did not come from this sender (a handler's reply) used the bot-wide
        window. Not its chat's: a conversation is paced by the person in it, and counting it
        there only held back the next outbox message to that chat (a coordinator's progress
        report behind the replies of the /siaran wizard) without a 429 ever seen."""
        self._global.take(now)

    def give_back(self, chat_id: int, now: float, *, broadcast: bool) -> None:
        """A send that never reached Telegram (network error, 5xx) did not count there."""
        self._global.give_back(now)
        self._chat(chat_id, now).give_back(now)
        if chat_id < 0:
            self._group(chat_id, now).give_back(now)
        if broadcast:
            self._broadcast.give_back(now)

    def rate_limited(self, chat_id: int, now: float, retry_after: float) -> bool:
        """Telegram answered 429 for this chat. Returns True when it looks bot-wide (several
        chats at once) and everything was paused."""
        until = now + retry_after
        self._paused_chats[chat_id] = max(self._paused_chats.get(chat_id, 0.0), until)
        self._recent_429.append((now, chat_id))
        while self._recent_429 and self._recent_429[0][0] < now - GLOBAL_429_WINDOW:
            self._recent_429.popleft()
        if len({chat for _, chat in self._recent_429}) < GLOBAL_429_CHATS:
            return False
        self.pause_all(until)
        return True

    def pause_all(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)

    # --- internals --------------------------------------------------------------------------

    def _chat(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            # One send's refill takes ARRIVAL_MARGIN longer than Telegram's.
            rate = self._limits.per_chat_per_second
            rate = 1.0 / (1.0 / rate + ARRIVAL_MARGIN)
            bucket = self._chats[chat_id] = TokenBucket(
                rate, float(self._limits.per_chat_burst), now
            )
        return bucket

    def _group(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._groups.get(chat_id)
        if bucket is None:
            per_minute = float(self._limits.group_per_minute)
            bucket = self._groups[chat_id] = TokenBucket(per_minute / 60.0, per_minute, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        # A broadcast touches thousands of chats once; a full bucket is the same as none.
        for chat in [c for c, bucket in self._chats.items() if bucket.full(now)]:
            del self._chats[chat]
        for chat in [c for c, bucket in self._groups.items() if bucket.full(now)]:
            del self._groups[chat]
        for chat in [c for c, until in self._paused_chats.items() if until <= now]:
            del self._paused_chats[chat]
