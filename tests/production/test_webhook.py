"""Webhook mode end to end: the emulator POSTs updates with the secret, like Telegram; each
update is in the inbox before the 200."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from sqlalchemy import event, func, select

from playground.emulator import BotAPIEmulator
from storage.models import InboxUpdate, Report
from tests.conversations.resident import Resident
from tests.fixtures.timeline import until
from tests.production.conftest import PATH, SECRET, WebhookBot

HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _update(update_id: int, text: str = "/bantuan", user_id: int = 5202) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "id"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_800_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def _post(
    bot: WebhookBot, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(bot.base + PATH, data=body, headers=headers or {}) as response,
    ):
        return response.status, await response.text()


async def test_registers_the_webhook_with_the_secret(
    emulator: BotAPIEmulator, webhook_bot: WebhookBot
) -> None:
    assert emulator.bot.webhook.url == webhook_bot.url
    assert emulator.bot.webhook.secret_token == SECRET


async def test_resident_files_a_report_in_webhook_mode(
    emulator: BotAPIEmulator, webhook_bot: WebhookBot, webhook_resident: Resident
) -> None:
    resident = webhook_resident
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.describe("Tetangga memukul anaknya.")
    await resident.finish_anonymously()
    code = await resident.send()
    async with webhook_bot.service.session_factory() as session:
        codes = list(await session.scalars(select(Report.code)))
    assert codes == [code]
    # Delivered by POST, not by getUpdates.
    assert {d.via for d in emulator.delivered_updates} == {"webhook"}
    # /metrics saw the updates and the sender's deliveries.
    metrics = (await webhook_bot.ops.exposition()).decode()
    assert 'lapor_aman_updates_handled_total{outcome="ok",type="message"}' in metrics
    assert 'lapor_aman_webhook_requests_total{result="accepted"}' in metrics


async def test_refuses_missing_or_wrong_secret(webhook_bot: WebhookBot) -> None:
    body = json.dumps(_update(1)).encode()
    assert (await _post(webhook_bot, body))[0] == 401
    assert (await _post(webhook_bot, body, {HEADER: "wrong"}))[0] == 403
    assert (await _post(webhook_bot, body, {HEADER: SECRET + "x"}))[0] == 403
    async with webhook_bot.service.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0


async def test_refuses_malformed_and_huge_bodies(webhook_bot: WebhookBot) -> None:
    ok = {HEADER: SECRET, "Content-Type": "application/json"}
    assert (await _post(webhook_bot, b"{not json", ok))[0] == 400
    assert (await _post(webhook_bot, b"[1, 2]", ok))[0] == 400
    assert (await _post(webhook_bot, b'{"update_id": "x"}', ok))[0] == 400
    assert (await _post(webhook_bot, b"\xff\xfe", ok))[0] == 400
    huge = json.dumps(_update(2, text="/bantuan " + "a" * (1024 * 1024 + 10))).encode()
    assert (await _post(webhook_bot, huge, ok))[0] == 413


async def test_replayed_update_is_processed_once(
    emulator: BotAPIEmulator, webhook_bot: WebhookBot
) -> None:
    ana = emulator.user(user_id=5202, first_name="Ana", language_code="id")
    body = json.dumps(_update(777_001)).encode()
    headers = {HEADER: SECRET, "Content-Type": "application/json"}
    answers = [await _post(webhook_bot, body, headers) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    await _settle(webhook_bot)
    # The reply goes out through the outbox, after the update's commit: wait for it, then a
    # moment more for a second copy that must not come.
    await ana.wait_for()
    await ana.wait_idle()
    calls = emulator.calls_of("sendMessage")
    replies = [call for call in calls if str(call.params.get("chat_id")) == "5202"]
    assert len(replies) == 1, replies
    async with webhook_bot.service.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 1
    metrics = (await webhook_bot.ops.exposition()).decode()
    assert 'lapor_aman_webhook_requests_total{result="duplicate"} 2.0' in metrics


async def _settle(bot: WebhookBot) -> None:
    """Until the inbox has handled everything stored."""

    async def emptied() -> bool:
        async with bot.service.session_factory() as session:
            pending = await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending")
            )
        return pending == 0 and not bot.service.inbox.in_flight

    await until(emptied, "the inbox to empty", within=5)


async def test_an_update_is_stored_before_the_200_and_handled_from_the_inbox(
    emulator: BotAPIEmulator, webhook_bot: WebhookBot
) -> None:
    """The 200 tells Telegram the update arrived: by then it is committed, whole, to the
    inbox, so an instance that dies right after answering loses nothing (here the worker is
    stopped, as a dead instance's would be, and a started one handles what was stored)."""
    ana = emulator.user(user_id=5202, first_name="Ana", language_code="id")
    inbox = webhook_bot.service.inbox
    await inbox.stop()
    update = _update(777_003)
    status, _ = await _post(webhook_bot, json.dumps(update).encode(), _HEADERS)
    assert status == 200
    async with webhook_bot.service.session_factory() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None
    assert (row.update_id, row.status, row.payload) == (777_003, "pending", update)
    assert not _replies_to(emulator, 5202)

    await inbox.start()
    await ana.wait_for("/lapor")
    await _settle(webhook_bot)
    assert len(_replies_to(emulator, 5202)) == 1


async def test_an_update_the_database_cannot_store_is_refused_and_comes_again(
    emulator: BotAPIEmulator, webhook_bot: WebhookBot
) -> None:
    """No 200 without the commit: the webhook answers 503, Telegram (the emulator) delivers
    the update again, and once the database takes it the resident gets one answer."""
    ana = emulator.user(user_id=5202, first_name="Ana", language_code="id")
    refused: list[str] = []

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO inbox") and len(refused) < 3:
            refused.append(statement)
            raise OSError("disk I/O error")

    engine = webhook_bot.service.engine.sync_engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        await ana.send_command("/bantuan")
        await ana.wait_for("/lapor", timeout=15)
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert len(refused) == 3
    assert (
        emulator.bot.webhook.last_error_message
        == "Wrong response from the webhook: 503 Service Unavailable"
    )
    await _settle(webhook_bot)
    assert len(_replies_to(emulator, 5202)) == 1
    metrics = (await webhook_bot.ops.exposition()).decode()
    assert 'lapor_aman_webhook_requests_total{result="unavailable"} 3.0' in metrics


_HEADERS = {HEADER: SECRET, "Content-Type": "application/json"}


def _replies_to(emulator: BotAPIEmulator, chat_id: int) -> list[Any]:
    return [
        call
        for call in emulator.calls_of("sendMessage")
        if call.ok and str(call.params.get("chat_id")) == str(chat_id)
    ]
