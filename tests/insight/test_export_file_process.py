"""/ekspor writes its file in a child process, after the update's commit.

A year's cases take seconds to read and write as XLSX. Inside the update that would hold the
transaction (on SQLite, the write lock every Kirim needs) and the event loop the sender's
alerts go out from.
"""

from __future__ import annotations

import io
import sys

import pytest
from openpyxl import load_workbook

from playground.emulator import BotAPIEmulator
from services import export_file
from services.export_file import Export, ExportFileError, render, render_in_child
from tests.cases.test_routing import OFFICER, staff
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import reporter_on_the_summary, taken_at
from tests.insight.test_insight_chat import OCTOBER, audit_count, is_document, seed
from tests.staff.people import Person, eventually

SORRY = "Sorry, something went wrong on our side."
REPORTER = 5301
EXPORT = Export(("kode", "kronologi"), [["LA-1", "=1+1 dipukul"], ["LA-2", "Gang <Mawar>"]], True)


def child_running(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(export_file, "child_command", lambda: [sys.executable, "-c", code])


def slow_child(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The real child, after a pause: a big export on a slow server."""
    child_running(
        monkeypatch,
        f"import time, runpy; time.sleep({seconds}); "
        "runpy.run_module('services.export_file', run_name='__main__')",
    )


async def test_the_child_writes_what_the_bot_would() -> None:
    assert await render_in_child(EXPORT, "csv") == render(EXPORT, "csv")
    workbook = load_workbook(io.BytesIO(await render_in_child(EXPORT, "xlsx")))
    cells = [list(row) for row in workbook["kasus"].iter_rows(values_only=True)]
    # The formula stays text (the same guard as the CSV's).
    assert cells == [["kode", "kronologi"], ["LA-1", "'=1+1 dipukul"], ["LA-2", "Gang <Mawar>"]]


async def test_a_child_answering_garbage_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    child_running(monkeypatch, "import sys; sys.stdout.write('kode,kronologi')")
    with pytest.raises(ExportFileError, match="csv file"):
        await render_in_child(EXPORT, "csv")


async def test_an_alert_leaves_while_a_file_is_written(
    emulator: BotAPIEmulator, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(bot)
    await staff(bot, emulator)
    reporter = await reporter_on_the_summary(emulator, REPORTER)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/ekspor", OCTOBER, expect="which format")
    slow_child(monkeypatch, 3)

    await coordinator.press("CSV")
    # Committed (the audit entry is there) while the file is still being written.
    await eventually(lambda: _exported(bot))
    code = await reporter.send()
    await emulator.user(OFFICER).wait_for(code)
    await coordinator.user.wait_for(predicate=is_document, timeout=15)

    alert_at = taken_at(emulator, OFFICER, code)
    file_at = taken_at(emulator, COORDINATOR_ID, method="sendDocument")
    assert alert_at < file_at, "the alert waited for the coordinator's file"


async def test_a_failed_file_apologises_and_the_next_works(
    emulator: BotAPIEmulator, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(bot)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/ekspor", OCTOBER, expect="which format")
    child_running(monkeypatch, "import sys; sys.exit(1)")
    await coordinator.press("CSV")
    await coordinator.user.wait_for(SORRY, timeout=10)
    assert not emulator.calls_of("sendDocument")
    monkeypatch.undo()
    await coordinator.press("CSV")
    document = await coordinator.user.wait_for(predicate=is_document, timeout=10)
    assert "6 cases" in document.text


async def _exported(bot: RunningBot) -> bool:
    return await audit_count(bot, "cases_exported") == 1
