"""PNG charts for /statistik, drawn to be read on a phone.

Horizontal bars (long kelurahan and category names stay readable), large fonts, a narrow
figure that fills a portrait screen, and the value written at the end of every bar, since
nobody can read an axis scale on a small photo. Labels arrive already translated: this module
knows no language. It draws with Matplotlib's object API on the Agg canvas, never pyplot, so
no global figure state is shared between concurrent requests and no display is needed.
Drawing takes a fraction of a second of CPU: callers run it in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WIDTH_INCHES = 7.0
_DPI = 110
_FONT = 15
_BAR_COLOR = "#2e6f9e"
_TARGET_COLOR = "#c0392b"
# Beyond this, bars get too thin to tap-zoom; the rest is in the text and the export.
MAX_BARS = 15


@dataclass(frozen=True, slots=True)
class BarPanel:
    """One bar chart: a title, (label, value) bars top to bottom, and how values are shown."""

    title: str
    bars: Sequence[tuple[str, float]]
    value_format: str = "{:.0f}"
    # A vertical reference line, e.g. the 100 % a target share is measured against.
    limit: float | None = None
    empty_text: str = "–"


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def render_bars(panels: Sequence[BarPanel]) -> bytes:
    """Stack the panels in one tall PNG; a panel without bars says `empty_text` instead."""
    # Imported on first use: Matplotlib takes seconds to import on a small server, and the
    # bot's start-up and every CLI command (which load the conversations) need none of it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

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
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


__all__ = ["MAX_BARS", "PNG_SIGNATURE", "BarPanel", "render_bars"]
