"""The sender's pure parts: payloads into methods, combining, outcomes, the rate budget."""

from __future__ import annotations

import random
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import CopyMessage, EditMessageText, SendMessage

from bot.sending.budget import ARRIVAL_MARGIN, RateBudget, SenderLimits
from bot.sending.outage import RetryPolicy
from bot.sending.outcomes import SENT, Outcome, classify, sent_outcome
from bot.sending.payloads import (
    MAX_TEXT_LENGTH,
    SEPARATOR,
    PayloadError,
    api_call,
    combinable,
    combined_payload,
    pack,
)
from services import outbox
from storage.repositories.outbox import OutboxRow


def _row(row_id: int, payload: dict[str, Any], kind: str = "alert", lane: int = 0) -> OutboxRow:
    return OutboxRow(id=row_id, recipient_id=42, kind=kind, lane=lane, payload=payload)


def _alert(row_id: int, text: str = "laporan") -> OutboxRow:
    keyboard = {"inline_keyboard": [[{"text": "Terima", "callback_data": f"take:{row_id}"}]]}
    return _row(row_id, outbox.message(text, keyboard))


def test_payloads_become_calls_for_the_rows_chat() -> None:
    method, params = api_call(outbox.message("<b>hai</b>"), 42)
    assert method is SendMessage and params["chat_id"] == 42
    copy, params = api_call(outbox.call("copymessage", from_chat_id=1, message_id=5), 42)
    assert copy is CopyMessage and params == {"from_chat_id": 1, "message_id": 5, "chat_id": 42}
    inline, params = api_call(outbox.call("editMessageText", inline_message_id="x", text="t"), 42)
    assert inline is EditMessageText and "chat_id" not in params
    _, params = api_call({**outbox.message("x"), "params": {"chat_id": 7, "text": "x"}}, 42)
    assert params["chat_id"] == 7
    _, paid = api_call(outbox.message("x"), 42, paid_broadcast=True)
    assert paid["allow_paid_broadcast"] is True


def test_bad_payloads_never_quote_their_params() -> None:
    with pytest.raises(PayloadError, match="unknown method") as error:
        api_call(outbox.call("sendTelepathy", text="rahasia"), 1)
    assert "rahasia" not in str(error.value)
    with pytest.raises(PayloadError, match="not an object") as error:
        api_call({"method": "sendMessage", "params": "rahasia"}, 1)
    assert "rahasia" not in str(error.value)


def test_sent_outcomes_read_telegrams_json() -> None:
    message = {"message_id": 9, "chat": {"id": 5, "type": "private"}, "date": 1, "text": "x"}
    assert sent_outcome(message, outbox.message("x"), 5).private_message_ids == (9,)
    group = {**message, "chat": {"id": -5, "type": "group"}}
    assert sent_outcome(group, outbox.message("x"), -5) == Outcome(SENT, message_id=9)
    copied = sent_outcome({"message_id": 3}, outbox.call("copyMessage"), 5)
    assert (copied.message_id, copied.private_message_ids) == (3, (3,))
    album = sent_outcome([message, {**message, "message_id": 10}], outbox.call("x"), 5)
    assert album.private_message_ids == (9, 10)
    edit = outbox.call("editMessageText", message_id=4, text="t")
    assert sent_outcome(True, edit, 5) == Outcome(SENT, message_id=4)
    # An edit in a private chat names its message, which was remembered when it was sent.
    edited = {**message, "message_id": 4}
    assert sent_outcome(edited, edit, 5) == Outcome(SENT, message_id=4)


def test_only_plain_alert_texts_combine() -> None:
    assert combinable(_alert(1))
    assert not combinable(_row(2, outbox.message("x"), kind="notice", lane=outbox.Lane.NOTICE))
    assert not combinable(_row(3, outbox.call("sendLocation", latitude=1.0, longitude=2.0)))
    reply_keyboard = outbox.message("x", {"keyboard": [[{"text": "a"}]]})
    assert not combinable(_row(4, reply_keyboard))


def test_combined_message_keeps_every_button_row_in_order() -> None:
    payload = combined_payload([_alert(1, "satu"), _alert(2, "dua")])
    params = payload["params"]
    assert params["text"] == f"satu{SEPARATOR}dua"
    assert [row[0]["callback_data"] for row in params["reply_markup"]["inline_keyboard"]] == [
        "take:1",
        "take:2",
    ]


def test_packing_stays_within_telegrams_text_limit() -> None:
    long = [_alert(n, "x" * 1500) for n in range(5)]
    groups = pack(long)
    assert [len(g) for g in groups] == [2, 2, 1]
    for group in groups:
        assert len(combined_payload(group)["params"]["text"]) <= MAX_TEXT_LENGTH


def test_outcomes_of_failures() -> None:
    method = SendMessage(chat_id=1, text="x")
    payload = outbox.message("x")
    limited = classify(TelegramRetryAfter(method, "Too Many Requests", 7), payload)
    assert (limited.status, limited.retry_after) == ("retry_after", 7.0)
    parse = TelegramBadRequest(method, "Bad Request: can't parse entities: tag <rahasia>")
    assert classify(parse, payload).detail == "Bad Request: can't parse entities"
    unchanged = classify(
        TelegramBadRequest(method, "Bad Request: message is not modified"),
        {
            "method": "editMessageText",
            "params": {"message_id": 9},
        },
    )
    assert (unchanged.status, unchanged.message_id) == ("sent", 9)
    network = classify(
        TelegramNetworkError(method, "ClientOSError: http://x/bot123:SECRET/"), payload
    )
    assert network.transient and "SECRET" not in str(network.detail)


def test_budget_per_chat_groups_and_broadcast_reserve() -> None:
    limits = SenderLimits(
        global_per_second=10, broadcast_per_second=10, alert_reserve=3, per_chat_burst=1
    )
    budget = RateBudget(limits, now=0.0)
    assert budget.chat_sends(1, 0.0) == 1
    budget.take(1, 0.0, broadcast=False)
    # A second per send, and a margin for sends that arrive faster than they left.
    due = 1.0 + ARRIVAL_MARGIN
    assert budget.chat_sends(1, 0.0) == 0 and budget.chat_ready_at(1, 0.0) == pytest.approx(due)
    assert budget.chat_sends(1, 1.0) == 0 and budget.chat_sends(1, due) == 1
    # The reserve comes on top of the rate (10 + 3 a second), and broadcasts never use it.
    assert budget.global_sends(0.0) == 13 - 1
    assert budget.broadcast_sends(0.0) == 13 - 1 - 3
    assert budget.broadcast_sends(0.0, planned=4) == 13 - 1 - 4 - 3
    # A group takes 20 a minute, however fast its per-chat bucket refills.
    groups = RateBudget(SenderLimits(per_chat_per_second=100, per_chat_burst=100), now=0.0)
    for _ in range(20):
        groups.take(-100, 0.0, broadcast=False)
    assert groups.chat_sends(-100, 0.0) == 0 and groups.chat_sends(-100, 3.0) == 1


def test_backoff_stays_at_its_ceiling_however_long_the_failures_last() -> None:
    # A sender woken at every commit while its database is away counts thousands of
    # failures within minutes; 2.0 ** 1100 overflowed and ended the sender's loop.
    policy = RetryPolicy(base_delay=1.0, max_delay=60.0, jitter=0.0)
    rng = random.Random(7)
    assert [policy.delay(n, rng) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert policy.delay(5_000, rng) == 60.0


def test_429s_from_several_chats_pause_everything() -> None:
    budget = RateBudget(SenderLimits(), now=0.0)
    assert not budget.rate_limited(1, 0.0, 5)
    assert budget.chat_sends(1, 1.0) == 0 and budget.chat_sends(2, 1.0) == 3
    assert not budget.rate_limited(2, 0.1, 5)
    assert budget.rate_limited(3, 0.2, 5)
    assert budget.global_sends(1.0) == 0 and budget.global_sends(5.3) > 0


def test_no_second_ever_holds_more_than_telegrams_limit() -> None:
    """Telegram counts sends in any one second: a burst after a quiet spell must not add a
    full second's refill on top (that was 50 sends in one second at 25/s, and 429s)."""
    budget = RateBudget(SenderLimits(global_per_second=25, alert_reserve=5), now=0.0)
    sent: list[float] = []
    for step in range(300):  # 3 s in 10 ms steps, always sending all that is allowed
        now = step / 100
        for chat in range(budget.global_sends(now)):
            budget.take(10_000 + len(sent) + chat, now, broadcast=False)
            sent.append(now)
    assert len(sent) >= 30 * 3 - 1, "the limit must also be used, not only respected"
    # Even sends that reach Telegram up to ARRIVAL_MARGIN sooner than others stay within 30.
    for start in sent:
        assert len([t for t in sent if start <= t < start + 1.0 + ARRIVAL_MARGIN]) <= 30
    # When the window is full, the next send is due as soon as the oldest leaves it.
    assert budget.next_send_at(3.0, broadcast=False) <= 3.0 + 1.0 + ARRIVAL_MARGIN


def test_a_send_answered_late_is_counted_from_its_answer() -> None:
    """A request that took 0.4 s to be answered may have reached Telegram just before the
    answer: the window frees its place a second after the answer, not after the send."""
    budget = RateBudget(SenderLimits(global_per_second=30, alert_reserve=0), now=0.0)
    for chat in range(30):
        budget.take(20_000 + chat, 0.0, broadcast=False)
    budget.answered(0.0, 0.4, paid=False)
    later = 1.0 + ARRIVAL_MARGIN + 0.01
    assert budget.global_sends(later) == 29
    assert budget.global_sends(later + 0.4) == 30


def test_a_broadcast_at_full_rate_leaves_the_reserve_to_alerts() -> None:
    budget = RateBudget(SenderLimits(broadcast_per_second=25, alert_reserve=5), now=0.0)
    broadcast: list[float] = []
    for step in range(400):  # 4 s in 10 ms steps
        now = step / 100
        for _ in range(budget.broadcast_sends(now)):
            budget.take(20_000 + len(broadcast), now, broadcast=True)
            broadcast.append(now)
        # An alert arriving at any moment finds budget at once.
        assert budget.global_sends(now) >= 5
    assert len(broadcast) / 4 >= 0.9 * 25, "the broadcast must still run at its rate"


def test_replies_sent_by_handlers_leave_less_for_a_broadcast() -> None:
    budget = RateBudget(SenderLimits(broadcast_per_second=25, alert_reserve=5), now=0.0)
    assert not budget.broadcasting(0.0)
    for _ in range(20):
        budget.take_elsewhere(0.0)
    assert budget.global_sends(0.0) == 10 and budget.broadcast_sends(0.0) == 10 - 5
    budget.take(1, 0.1, broadcast=True)
    # A copy in the window makes the next replies wait for room rather than go over.
    assert budget.broadcasting(1.0) and not budget.broadcasting(1.2)
