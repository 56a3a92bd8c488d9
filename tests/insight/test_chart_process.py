"""/statistik's charts are drawn in a child process: a failing child gives the usual apology,
a stuck one is killed, and Matplotlib never loads into the bot."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from playground.emulator import BotAPIEmulator
from services import charts
from services.charts import PNG_SIGNATURE, BarPanel, ChartError, render_in_child
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.insight.test_insight_chat import OCTOBER, seed, two_png_photos
from tests.staff.people import Person

# Each test starts a child process (matplotlib's).
pytestmark = pytest.mark.slow

SORRY = "Sorry, something went wrong on our side."
PANELS = [BarPanel("Kasus", [("Pahandut", 3.0), ("Jekan Raya", 1.0)]), BarPanel("Kosong", [])]


def child_running(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(charts, "child_command", lambda: [sys.executable, "-c", code])


async def test_two_charts_from_one_child() -> None:
    pngs = await render_in_child([PANELS, PANELS[:1]])
    assert len(pngs) == 2
    assert all(png.startswith(PNG_SIGNATURE) for png in pngs)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("import sys; sys.exit(3)", "exited with 3"),
        ("import sys; sys.stdout.write('not a png')", "one PNG per chart"),
        ("raise SystemExit('matplotlib is broken')", "exited with 1"),
    ],
)
async def test_a_failing_child_is_an_error(
    monkeypatch: pytest.MonkeyPatch, code: str, reason: str
) -> None:
    child_running(monkeypatch, code)
    with pytest.raises(ChartError, match=reason):
        await render_in_child([PANELS])


async def test_a_stuck_child_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    child_running(monkeypatch, "import os, time; print(os.getpid(), flush=True); time.sleep(60)")
    with pytest.raises(ChartError, match="more than"):
        await render_in_child([PANELS], patience=0.5)
    assert not psutil.Process().children(), "the stuck child is gone"


async def test_a_failed_chart_apologises_and_the_next_works(
    emulator: BotAPIEmulator, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(bot)
    coordinator = await Person.english(emulator, COORDINATOR_ID, "Koordinator")
    child_running(monkeypatch, "import sys; sys.exit(1)")
    text = await coordinator.command("/statistik", OCTOBER, expect="Statistics")
    assert "Cases: 6" in text.text
    await coordinator.user.wait_for(SORRY, timeout=10)
    monkeypatch.undo()
    await coordinator.command("/statistik", OCTOBER, expect="Statistics")
    await two_png_photos(coordinator, emulator)


@pytest.mark.slow
def test_the_bot_never_imports_matplotlib() -> None:
    """What `python -m bot run` loads (app, webhook, ops, every conversation) leaves
    Matplotlib out, and aiogram's types unbuilt until used."""
    code = (
        "import sys\n"
        "from bot.deferred_schemas import install\n"
        "assert install()\n"
        "import bot.app, bot.ops, bot.webhook, conversations\n"
        "import aiogram.types as types\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy'))\n"
        "assert not heavy, heavy\n"
        "assert not types.Message.__pydantic_complete__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_count_axes_have_whole_number_ticks() -> None:
    """Two cases and one: the axis read 0.0, 0.5, 1.0, 1.5 … under a count of cases."""
    figure = charts.draw_bars(
        [BarPanel("Kasus", [("Pahandut", 2.0), ("Jekan Raya", 1.0)], whole=True)]
    )
    [axes] = figure.axes
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= axes.get_xlim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_the_statistics_charts_count_in_whole_numbers() -> None:
    """The three panels of case counts ask for whole-number ticks; shares and minutes do not."""
    from datetime import date

    from bot.app import create_i18n
    from conversations.insight.statistics import chart_panels
    from services.statistics import Period, Statistics, Targets, TargetShare, Timing

    timing = Timing(1, 60.0, 60.0, 0, None, None)
    share = TargetShare(1, 2, 0)
    stats = Statistics(
        Period(date(2026, 10, 1), date(2026, 10, 31)), 3, 1,
        [("physical", 2), ("sexual", 1)], [("baru", 3)], [("Sabangau", 3)],
        [("Sabangau", "Kalampangan", 3)], timing, [("Sabangau", timing)], [], Targets(),
        share, share, [("Sabangau", share)], [("Sabangau", share)],
    )  # fmt: skip
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("id"):
        counts, times = chart_panels(stats)
    assert [panel.whole for panel in counts] == [True, True, True]
    assert not any(panel.whole for panel in times)
