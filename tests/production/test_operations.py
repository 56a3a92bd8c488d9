"""/healthz and /metrics, in webhook mode and on the polling-mode listener; logs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import aiohttp
import pytest

from bot.logging_setup import JsonFormatter, KeyValueFormatter, configure_logging
from bot.ops import Operations, OpsServer
from playground.emulator import BotAPIEmulator
from tests.cases.staffing import add_officer, file_report, started
from tests.fixtures.bot import RunningBot
from tests.fixtures.timeline import until
from tests.production.conftest import WebhookBot


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def _value(metrics: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", metrics, re.MULTILINE)
    assert match, f"{name} not in metrics"
    return float(match.group(1))


async def test_healthz_in_webhook_mode(webhook_bot: WebhookBot) -> None:
    status, body = await _get(webhook_bot.base + "/healthz")
    assert status == 200
    assert json.loads(body) == {
        "status": "ok",
        "database": True,
        "sender": True,
        "scheduler": True,
        "inbox": True,
    }
    # A stopped sender is an unhealthy instance: the load balancer should route around it.
    await webhook_bot.service.sender.stop()
    status, body = await _get(webhook_bot.base + "/healthz")
    assert status == 503
    assert json.loads(body)["sender"] is False


async def test_metrics_follow_a_report_in_polling_mode(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    service = bot.service
    ops = Operations(service)
    server = OpsServer(ops)
    await server.start("127.0.0.1:0")
    try:
        base = f"http://127.0.0.1:{server.port}"
        officer = emulator.user(user_id=610001, first_name="Budi")
        await officer.send_command("/start")
        await started(service, 610001)
        await add_officer(service, 610001, "Langkai", name="Budi")
        _, before = await _get(base + "/metrics")
        await file_report(service, "Langkai")
        await officer.wait_for("LA-")
        # The counter moves once the sender has recorded Telegram's answer, just after.
        sent_before = _value(before, "lapor_aman_sender_sent_total")  # /start's answers
        scraped: list[tuple[int, str]] = []

        async def counted() -> bool:
            scraped[:] = [await _get(base + "/metrics")]
            return _value(scraped[0][1], "lapor_aman_sender_sent_total") > sent_before

        await until(counted, "the sender's count to move", within=5)
        status, after = scraped[0]
        assert status == 200
        assert _value(after, "lapor_aman_sender_sent_total") >= sent_before + 1
        assert _value(after, "lapor_aman_alerts_unacknowledged") == 1
        assert 'lapor_aman_outbox_pending{lane="alerts"}' in after
        assert "lapor_aman_time_to_acknowledge_seconds_bucket" in after
        assert _value(after, "lapor_aman_database_up") == 1
        status, _ = await _get(base + "/healthz")
        assert status == 200
    finally:
        await server.stop()


@pytest.mark.parametrize("formatter", [KeyValueFormatter(), JsonFormatter()])
def test_logs_never_carry_the_token(formatter: logging.Formatter) -> None:
    token = "123456789:AAHk-very-secret-token-value-abcdefghij"
    record = logging.LogRecord(
        "aiogram", logging.ERROR, __file__, 1, "POST %s failed", (f"/bot{token}/x",), None
    )
    line = formatter.format(record)
    assert token not in line and "<token>" in line
    if isinstance(formatter, JsonFormatter):
        assert json.loads(line)["level"] == "error"
    else:
        assert line.split()[1] == "level=error"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in ("apscheduler", "aiogram.event")}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in chatty.items():
            logging.getLogger(name).setLevel(old)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_the_clock_and_each_update_are_logged_only_when_debugging(
    level: str, restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(level, "kv")
    logging.getLogger("apscheduler.executors.default").info('Running job "tick"')
    logging.getLogger("aiogram.event").info("Update id=1 is handled. Duration 3 ms")
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    logging.getLogger("bot.sending.recording").info("outbox 1 kind=alert: sent")

    lines = capsys.readouterr().err.splitlines()
    assert any("Run time of job was missed" in line for line in lines)
    assert any("outbox 1 kind=alert: sent" in line for line in lines)
    chatter = [line for line in lines if "Running job" in line or "is handled" in line]
    assert len(chatter) == (2 if level == "DEBUG" else 0)
