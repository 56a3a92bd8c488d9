"""A half-written report survives a restart; nothing sensitive is stored in clear."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.config import Settings
from conversations.report.states import ReportForm
from playground.emulator import BotAPIEmulator
from storage.db import create_engine
from storage.models import FsmState, Report
from tests.conversations.resident import (
    CONSENT_Q,
    IDENTITY_Q,
    PHONE_Q,
    Resident,
)
from tests.fixtures.bot import RunningBot, start_bot
from tests.fixtures.timeline import until

MARKER_DESCRIPTION = "PenandaRahasiaDeskripsi-7731"
MARKER_NAME = "NamaPelaporRahasia-5512"
ROOT = Path(__file__).resolve().parents[2]


async def test_restart_in_the_middle_of_a_report(
    resident: Resident, bot: RunningBot, settings: Settings, emulator: BotAPIEmulator
) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description()
    await resident.user.send_text("Bagian pertama.")
    await resident.expect("✓ Saved. You can add more, or press Done.")
    await bot.stop()

    restarted = await start_bot(settings, emulator)
    try:
        await resident.user.send_text("Bagian kedua.")
        await resident.expect("✓ Saved. You can add more, or press Done.")
        await resident.press("✅ Done")
        summary = await resident.finish_anonymously()
        assert "Bagian pertama.\n\nBagian kedua." in summary.text
        await resident.send()
    finally:
        await restarted.stop()


@pytest.mark.slow
async def test_killed_bot_process_loses_no_draft(
    resident: Resident, bot: RunningBot, settings: Settings, emulator: BotAPIEmulator
) -> None:
    """A separate `python -m bot run` process is killed with SIGKILL mid-report and restarted."""
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await bot.stop()

    env = {
        **os.environ,
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.base_url,
        "DATABASE_URL": settings.database_url,
        "DATA_KEY": settings.data_key.get_secret_value() if settings.data_key else "",
        "LOG_LEVEL": "WARNING",
    }

    async def spawn() -> asyncio.subprocess.Process:
        started = len(emulator.calls_of("deleteWebhook"))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        # Up once it has migrated and called Telegram (it polls right after): seconds of
        # imports and start-up on a busy machine, longer than a tap is waited for.
        try:
            await until(
                lambda: (
                    len(emulator.calls_of("deleteWebhook")) > started
                    or process.returncode is not None
                ),
                "the bot process to start",
                within=60,
            )
        except AssertionError:
            process.kill()
            await process.communicate()
            raise
        assert process.returncode is None, "the bot process stopped at start-up"
        return process

    first = await spawn()
    try:
        await resident.press("Witness")
        await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
        # The answer is committed right after the question is sent: kill the process after.
        await until(
            lambda: _in_state(settings.database_url, ReportForm.category.state),
            "the answer stored",
            within=5,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        await first.communicate()

    second = await spawn()
    try:
        await resident.press("Human trafficking (TPPO)")
        await resident.expect("<b>Who is the victim?</b>")
    finally:
        second.send_signal(signal.SIGTERM)
        _, errors = await asyncio.wait_for(second.communicate(), timeout=20)
        print(errors.decode())


async def _in_state(database_url: str, state: str | None) -> bool:
    """Whether the one conversation in the database is at `state` (read without the bot)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(FsmState.state)) == state
    finally:
        await engine.dispose()


async def test_sensitive_fields_are_encrypted_at_rest(
    resident: Resident, bot: RunningBot, settings: Settings
) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description(landmark="LandmarkRahasia-9090")
    await resident.describe(MARKER_DESCRIPTION)
    await resident.press("Skip ➡️")
    await resident.expect(IDENTITY_Q)
    await resident.press("🙋 With my name")
    await resident.expect("<b>What is your name?</b>\nType it below.")
    await resident.user.send_text(MARKER_NAME)
    await resident.expect(PHONE_Q)
    await resident.tap_reply("Skip ➡️")
    await resident.expect(CONSENT_Q)
    await resident.press("Yes, write to me here")
    await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    # The draft (in the conversation state) must already be unreadable on disk ...
    await _assert_not_in_clear(bot, settings, [MARKER_DESCRIPTION, MARKER_NAME])
    await resident.send()
    # ... and so must the stored report.
    await _assert_not_in_clear(
        bot, settings, [MARKER_DESCRIPTION, MARKER_NAME, "LandmarkRahasia-9090"]
    )
    async with bot.service.session_factory() as session:
        report = await session.scalar(select(Report))
        assert report is not None and report.reporter_name == MARKER_NAME


async def _assert_not_in_clear(bot: RunningBot, settings: Settings, markers: list[str]) -> None:
    if settings.database_url.startswith("sqlite"):
        database = Path(settings.database_url.split("///", 1)[1])
        files = [p for p in (database, Path(f"{database}-wal")) if p.exists()]
        assert files
        raw = b"".join(p.read_bytes() for p in files)
        for marker in markers:
            assert marker.encode() not in raw, f"{marker} found in clear in the SQLite files"
        return
    async with bot.service.engine.connect() as connection:
        for table in ("reports", "fsm_state"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            dump = repr(rows)
            for marker in markers:
                assert marker not in dump, f"{marker} found in clear in {table}"
