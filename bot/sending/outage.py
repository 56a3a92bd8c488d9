"""Telegram failing: nothing is sent until a harmless call gets through.

A 5xx, a network error or a timeout says nothing about whether Telegram executed the call:
behind a proxy, an alert can be delivered and its answer lost. Were the next try of that
alert the test of whether Telegram is back, an outage of 40 seconds would put it on the
officer's screen at every try. So while Telegram fails, on any call (the long poll's too),
the sender sends nothing and probes with getMe, which changes nothing however often it is
executed; backoff between probes doubles (1, 2, 4 … 60 s, with jitter). Only when a probe
gets through do the rows go out again, each once more.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for transient failures; tests shrink the delays."""

    base_delay: float = 1.0
    max_delay: float = 60.0
    # Each delay is cut by up to this fraction, so several senders do not retry in step.
    jitter: float = 0.3
    # Notices and broadcasts give up after this many failures; alerts, relays and replies
    # never do.
    max_attempts: int = 12
    # After this many failures of its own a row also backs off by itself: one message that
    # Telegram keeps failing on (while getMe works) must not go out at every pass.
    own_backoff_after: int = 3

    def delay(self, failures: int, rng: random.Random) -> float:
        # The exponent stops growing long after max_delay is reached: a sender failing for
        # hours (and woken at every commit) must not overflow the float and die.
        raw = min(self.max_delay, self.base_delay * 2.0 ** min(max(0, failures - 1), 64))
        return raw * (1.0 - self.jitter * rng.random())


class Outage:
    """Whether Telegram is failing, and when to ask it again (times: the sender's clock)."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self.failures = 0
        self.probe_at = 0.0

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, now: float) -> None:
        """A call failed transiently. Calls already in flight when the first one failed
        count once: the backoff grows per probe, not per message."""
        if self.ongoing and now < self.probe_at:
            return
        self.failures += 1
        self.probe_at = now + self._policy.delay(self.failures, self._rng)

    def probe_due(self, now: float) -> bool:
        return self.ongoing and now >= self.probe_at

    def probe_soon(self) -> None:
        """Another call got an answer (the long poll): probe now, not at the end of a backoff
        that may be a minute long while alerts wait."""
        if self.ongoing:
            self.probe_at = 0.0

    def over(self) -> bool:
        """A probe got through; True if there had been an outage."""
        was = self.ongoing
        self.failures = 0
        self.probe_at = 0.0
        return was


__all__ = ["Outage", "RetryPolicy"]
