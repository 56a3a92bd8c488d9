"""PNG charts for /statistik, drawn to be read on a phone.

Horizontal bars (long kelurahan and category names stay readable), large fonts, a narrow
figure that fills a portrait screen, and the value written at the end of every bar, since
nobody can read an axis scale on a small photo. Labels arrive already translated: this module
knows no language. It draws with Matplotlib's object API on the Agg canvas, never pyplot, so
no global figure state is shared between concurrent requests and no display is needed.

The bot never imports Matplotlib itself: `render_in_child` draws in a short-lived
`python -m services.charts` process (panels as JSON on its stdin, PNGs on its stdout), so the
~75 MB Matplotlib and its caches take stay out of the bot's resident memory, which Python
would not give back after a /statistik (README, "Benchmarks", figure 4). The child's start-up
(about a second of CPU) also keeps the drawing off the bot's event loop.
"""

from __future__ import annotations

import io
import json
import struct
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from services.child_process import ChildFailed, module_command, run_child

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WIDTH_INCHES = 7.0
_DPI = 110
_FONT = 15
_BAR_COLOR = "#2e6f9e"
_TARGET_COLOR = "#c0392b"
# Beyond this, bars get too thin to tap-zoom; the rest is in the text and the export.
MAX_BARS = 15
# Importing Matplotlib and drawing two charts takes 1-3 s on a small server.
CHILD_TIMEOUT = 60.0
_LENGTH = struct.Struct(">I")


class ChartError(RuntimeError):
    """The chart process failed, timed out or answered something else than PNGs."""


@dataclass(frozen=True, slots=True)
class BarPanel:
    """One bar chart: a title, (label, value) bars top to bottom, and how values are shown."""

    title: str
    bars: Sequence[tuple[str, float]]
    value_format: str = "{:.0f}"
    # A vertical reference line, e.g. the 100 % a target share is measured against.
    limit: float | None = None
    empty_text: str = "–"
    # Counts: the axis has whole-number ticks only (a case is never half counted).
    whole: bool = False


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def render_bars(panels: Sequence[BarPanel]) -> bytes:
    """Stack the panels in one tall PNG; a panel without bars says `empty_text` instead."""
    figure = draw_bars(panels)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def draw_bars(panels: Sequence[BarPanel]) -> Figure:
    """The figure `render_bars` saves."""
    # Imported here, in the chart process only (see `render_in_child`).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    heights = [max(1.6, 0.55 * min(len(p.bars), MAX_BARS) + 1.3) for p in panels]
    figure = Figure(figsize=(_WIDTH_INCHES, sum(heights)), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
    for axes, panel in zip(axes_list, panels, strict=True):
        axes.set_title(panel.title, fontsize=_FONT + 2, loc="left", fontweight="bold")
        bars = list(panel.bars)[:MAX_BARS]
        if not bars:
            axes.text(
                0.5,
                0.5,
                panel.empty_text,
                ha="center",
                va="center",
                fontsize=_FONT,
                transform=axes.transAxes,
            )
            axes.set_axis_off()
            continue
        labels = [_short(label) for label, _ in bars]
        values = [value for _, value in bars]
        positions = list(range(len(bars)))
        axes.barh(positions, values, color=_BAR_COLOR, height=0.65)
        axes.set_yticks(positions, labels, fontsize=_FONT)
        axes.invert_yaxis()  # first bar on top, like the text list
        top = max([*values, panel.limit or 0.0, 1.0])
        axes.set_xlim(0, top * 1.25)  # room for the value labels
        for position, value in zip(positions, values, strict=True):
            axes.text(
                value + top * 0.02,
                position,
                panel.value_format.format(value),
                va="center",
                fontsize=_FONT,
            )
        if panel.limit is not None:
            axes.axvline(panel.limit, color=_TARGET_COLOR, linestyle="--", linewidth=2)
        axes.tick_params(axis="x", labelsize=_FONT - 3)
        if panel.whole:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


def child_command() -> list[str]:
    """The chart process: this module run by the bot's own interpreter."""
    return module_command("services.charts")


async def render_in_child(
    charts: Sequence[Sequence[BarPanel]], patience: float = CHILD_TIMEOUT
) -> list[bytes]:
    """One PNG per chart (a chart is a stack of panels, as `render_bars` draws it), drawn
    by one child process; ChartError if it fails. The child is killed on timeout or when the
    caller is cancelled."""
    request = json.dumps([[asdict(panel) for panel in panels] for panels in charts]).encode()
    try:
        output = await run_child(child_command(), request, patience)
    except ChildFailed as error:
        raise ChartError(str(error).replace("child process", "chart process")) from None
    pngs = _unpack(output)
    if len(pngs) != len(charts) or not all(png.startswith(PNG_SIGNATURE) for png in pngs):
        raise ChartError("the chart process did not answer with one PNG per chart")
    return pngs


def _unpack(data: bytes) -> list[bytes]:
    pngs: list[bytes] = []
    offset = 0
    while offset + _LENGTH.size <= len(data):
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        pngs.append(data[offset : offset + length])
        offset += length
    return pngs


def _main() -> None:
    """The child: JSON charts on stdin, each PNG prefixed by its length on stdout."""
    charts = json.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for panels in charts:
        png = render_bars(
            [
                BarPanel(**{**panel, "bars": [tuple(bar) for bar in panel["bars"]]})
                for panel in panels
            ]
        )
        out.write(_LENGTH.pack(len(png)))
        out.write(png)
    out.flush()


if __name__ == "__main__":
    _main()


__all__ = [
    "CHILD_TIMEOUT",
    "MAX_BARS",
    "PNG_SIGNATURE",
    "BarPanel",
    "ChartError",
    "child_command",
    "render_bars",
    "render_in_child",
]
