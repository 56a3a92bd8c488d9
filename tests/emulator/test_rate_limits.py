"""Flood limits: 429 with retry_after, per chat, per group and per bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from playground.emulator import BotAPIEmulator, RateLimits
from playground.emulator.limits import RateLimiter
from tests.emulator.conftest import ApiClient
from tests.fixtures.emulator import EmulatorFactory


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def limited(
    emulator_factory: EmulatorFactory, clock: FakeClock
) -> AsyncIterator[tuple[BotAPIEmulator, ApiClient]]:
    emu = await emulator_factory(rate_limits=RateLimits(per_chat_burst=3), rate_clock=clock)
    emu.user(1001)
    emu.user(1002)
    async with aiohttp.ClientSession() as session:
        yield emu, ApiClient(session, emu)


async def test_per_chat_burst_then_429(
    limited: tuple[BotAPIEmulator, ApiClient], clock: FakeClock
) -> None:
    emu, api = limited
    for index in range(3):
        await api.ok("sendMessage", chat_id=1001, text=f"pesan {index}")
    status, body = await api.call("sendMessage", chat_id=1001, text="kebanyakan")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    # Other chats have their own bucket.
    await api.ok("sendMessage", chat_id=1002, text="chat lain")
    clock.now += 1.0
    await api.ok("sendMessage", chat_id=1001, text="setelah menunggu")
    assert emu.stats[emu.token]["429"] == 1
    assert emu.stats["sent"] == 5
    assert [m.text for m in emu.chat(1001).messages][-1] == "setelah menunggu"
    assert "kebanyakan" not in [m.text for m in emu.chat(1001).messages]


async def test_retry_after_is_whole_seconds_until_allowed(
    limited: tuple[BotAPIEmulator, ApiClient], clock: FakeClock
) -> None:
    emu, api = limited
    emu.rate_limits.per_chat_per_second = 0.25
    for _ in range(3):
        await api.ok("sendMessage", chat_id=1001, text="x")
    clock.now += 1.5  # 0.375 of a token refilled: 2.5 s still missing -> 3
    status, body = await api.call("sendMessage", chat_id=1001, text="x")
    assert (status, body["parameters"]["retry_after"]) == (429, 3)


async def test_copy_and_forward_count_but_chat_actions_do_not(
    limited: tuple[BotAPIEmulator, ApiClient],
) -> None:
    emu, api = limited
    source = await emu.user(1002).send_text("sumber")
    for _ in range(5):
        await api.ok("sendChatAction", chat_id=1001, action="typing")
    await api.ok("copyMessage", chat_id=1001, from_chat_id=1002, message_id=source["message_id"])
    await api.ok("forwardMessage", chat_id=1001, from_chat_id=1002, message_id=source["message_id"])
    await api.ok("sendMessage", chat_id=1001, text="ketiga")
    status, _ = await api.call("copyMessage", chat_id=1001, from_chat_id=1002, message_id=1)
    assert status == 429


async def test_disabled_limits_never_answer_429(
    limited: tuple[BotAPIEmulator, ApiClient],
) -> None:
    emu, api = limited
    emu.rate_limits.enabled = False
    for _ in range(10):
        await api.ok("sendMessage", chat_id=1001, text="bebas")


def test_global_limit_across_chats() -> None:
    clock = FakeClock()
    limiter = RateLimiter(lambda: RateLimits(global_per_second=30), clock)
    for chat in range(30):
        assert limiter.retry_after("t", chat, False) is None
        limiter.consume("t", chat, False)
    assert limiter.retry_after("t", 999, False) == 1
    assert limiter.retry_after("other-token", 999, False) is None
    clock.now += 1.01
    assert limiter.retry_after("t", 999, False) is None


def test_a_send_counts_from_its_arrival_not_from_its_answer() -> None:
    """A send is counted when it is admitted, so a handler that takes a while cannot date it
    late: the window empties one second after the sends arrived."""
    clock = FakeClock()
    limiter = RateLimiter(lambda: RateLimits(global_per_second=30), clock)
    for chat in range(30):
        assert limiter.admit("t", chat, False) is None
    clock.now += 0.5  # as if the answers took half a second
    assert limiter.admit("t", 999, False) == 1
    clock.now += 0.51
    assert limiter.admit("t", 999, False) is None


async def test_refused_sends_do_not_use_up_the_limits(
    limited: tuple[BotAPIEmulator, ApiClient],
) -> None:
    _, api = limited
    for _ in range(5):
        status, body = await api.call(
            "sendMessage", chat_id=1001, text="<b>tidak ditutup", parse_mode="HTML"
        )
        assert status == 400, body
    for _ in range(3):  # the whole burst is still there
        await api.ok("sendMessage", chat_id=1001, text="diterima")
    status, _ = await api.call("sendMessage", chat_id=1001, text="kebanyakan")
    assert status == 429


def test_group_limit_per_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(lambda: RateLimits(group_per_minute=20, per_chat_burst=100), clock)
    for _ in range(20):
        assert limiter.retry_after("t", -100123, True) is None
        limiter.consume("t", -100123, True)
        clock.now += 1.0
    # The first send was 20 s ago; it leaves the one-minute window in 40 s.
    assert limiter.retry_after("t", -100123, True) == 40
    clock.now += 40.0
    assert limiter.retry_after("t", -100123, True) is None


async def test_paid_broadcasts_go_past_the_bot_wide_limit_for_stars(
    emulator_factory: EmulatorFactory, clock: FakeClock
) -> None:
    emu = await emulator_factory(rate_limits=RateLimits(), rate_clock=clock)
    for user in range(2001, 2041):
        emu.user(user)
    emu.set_stars(3.0)
    async with aiohttp.ClientSession() as session:
        api = ApiClient(session, emu)
        for user in range(2001, 2031):
            await api.ok("sendMessage", chat_id=user, text="gratis")
        status, _ = await api.call("sendMessage", chat_id=2031, text="tanpa bayar")
        assert status == 429  # the 31st free message of the second
        for user in range(2031, 2041):
            await api.ok("sendMessage", chat_id=user, text="berbayar", allow_paid_broadcast=True)
        # The chat's own limits still hold for a paid message.
        for _ in range(2):
            await api.ok("sendMessage", chat_id=2040, text="lagi", allow_paid_broadcast=True)
        status, _ = await api.call(
            "sendMessage", chat_id=2040, text="terlalu cepat", allow_paid_broadcast=True
        )
        assert status == 429
        # 12 paid messages at 0.1 Star each; with less than 0.1 left, Telegram refuses.
        assert emu.stats["paid"] == 12
        assert emu.stars() == pytest.approx(1.8)
        emu.set_stars(0.05)
        status, body = await api.call(
            "sendMessage", chat_id=2039, text="tanpa bintang", allow_paid_broadcast=True
        )
    assert status == 400
    assert body["description"] == "Bad Request: not enough Telegram Stars for a paid broadcast"
    assert "tanpa bintang" not in [m.text for m in emu.chat(2039).messages]
    assert emu.stats["paid"] == 12
