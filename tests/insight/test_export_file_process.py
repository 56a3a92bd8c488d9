"""/ekspor writes its file in a child process, after the update's commit.

A year's cases take seconds to read and write as XLSX. Inside the update that would hold the
transaction (on SQLite, the write lock every Kirim needs) and the event loop the sender's
alerts go out from.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from playground.emulator import BotAPIEmulator
from services import export_file
from services.export_file import Export, ExportFileError, render, render_in_child
from tests.cases.test_routing import OFFICER, staff
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.timeline import reporter_on_the_summary, taken_at, until
from tests.insight.test_insight_chat import OCTOBER, audit_count, is_document, seed
from tests.staff.people import Person

# Each test starts a child process (the file's writer).
pytestmark = pytest.mark.slow

SORRY = "Sorry, something went wrong on our side."
REPORTER = 5301
EXPORT = Export(("kode", "kronologi"), [["LA-1", "=1+1 dipukul"], ["LA-2", "Gang <Mawar>"]], True)


def child_running(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(export_file, "child_command", lambda: [sys.executable, "-c", code])


def gated_child(monkeypatch: pytest.MonkeyPatch, gate: Path) -> None:
    """The real child, once `gate` exists: a big export on a slow server, as long as the test
    wants it to take."""
    child_running(
        monkeypatch,
        "import pathlib, runpy, time\n"
        f"while not pathlib.Path({str(gate)!r}).exists():\n"
        "    time.sleep(0.01)\n"
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
    emulator: BotAPIEmulator, bot: RunningBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await seed(bot)
    await staff(bot, emulator)
    reporter = await reporter_on_the_summary(emulator, REPORTER)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    await coordinator.command("/ekspor", OCTOBER, expect="which format")
    gate = tmp_path / "write-the-file-now"
    gated_child(monkeypatch, gate)

    try:
        await coordinator.press("CSV")
        # Committed (the audit entry is there) while the file is still being written.
        await until(lambda: _exported(bot), "the export's audit entry", within=5)
        code = await reporter.send()
        # The file is written only after this: an alert held up by the export never comes.
        await emulator.user(OFFICER).wait_for(code)
    finally:
        gate.touch()
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
