"""How a case card and /kasus say a case's age: in words, never "0 minutes ago"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playground.emulator import BotAPIEmulator
from services.durations import time_ago
from tests.cases.staffing import add_officer, file_report, tap
from tests.fixtures.bot import RunningBot

RINA = 3101


async def test_a_case_taken_at_once_was_reported_just_now(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    rina = emulator.user(RINA, first_name="Rina")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    _, code = await file_report(bot.service, "Kalampangan")
    alert = await rina.wait_for(code)
    await tap(rina, f"✅ Terima {code}", alert)
    card = await rina.wait_for(f"Kasus {code}")
    assert f"Kasus {code} (dilaporkan baru saja)" in card.text, card.text
    assert "0 menit" not in card.text
    await rina.send_command("/kasus")
    listed = await rina.wait_for(code)
    assert "dilaporkan baru saja" in listed.text and "0 menit" not in listed.text


def test_older_cases_say_how_long_ago_in_words() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert time_ago(now - timedelta(seconds=40), now, "id") is None  # "just now"
    assert time_ago(now - timedelta(hours=3), now, "id") == "3 jam yang lalu"
    assert time_ago(now - timedelta(days=2, hours=1), now, "en") == "2 days ago"
