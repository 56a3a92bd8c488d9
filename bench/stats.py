"""Medians and spreads over repeated runs, percentiles, the printed table and the JSON file.

Numbers on a shared two-core machine move by tens of percent from one run to the next, so
every figure is run several times and reported as median (min–max); ratios are taken within
one run (both sides measured minutes apart on the same machine state) before the median.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def percentile(values: Sequence[float], q: float) -> float:
    """Interpolated between closest ranks (numpy's default), q in 1..99."""
    if len(values) < 2:  # quantiles() wants two before Python 3.13
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


@dataclass(frozen=True)
class Goal:
    """A target such as "p99 < 1 s": `passes(value)` and its text for the table."""

    text: str
    check: Callable[[float], bool] = field(compare=False)

    def passes(self, value: float) -> bool:
        return self.check(value)


def at_least(value: float, unit: str = "") -> Goal:
    return Goal(f"≥ {value:g}{unit}", lambda measured: measured >= value)


def at_most(value: float, unit: str = "") -> Goal:
    return Goal(f"≤ {value:g}{unit}", lambda measured: measured <= value)


def below(value: float, unit: str = "") -> Goal:
    return Goal(f"< {value:g}{unit}", lambda measured: measured < value)


def exactly(value: float) -> Goal:
    return Goal(f"= {value:g}", lambda measured: measured == value)


@dataclass
class Metric:
    name: str
    unit: str
    runs: list[float]
    goal: Goal | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else math.nan

    @property
    def passed(self) -> bool | None:
        if self.goal is None or not self.runs:
            return None
        return self.goal.passes(self.median)

    def cell(self) -> str:
        if not self.runs:
            return "n/a"
        value = f"{fmt(self.median)} {self.unit}".strip()
        if len(self.runs) > 1:
            value += f" ({fmt(min(self.runs))}–{fmt(max(self.runs))})"
        return value

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.runs) if self.runs else None,
            "max": max(self.runs) if self.runs else None,
            "runs": self.runs,
            "target": self.goal.text if self.goal else None,
            "passed": self.passed,
            "note": self.note,
        }


def fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass
class Figure:
    key: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add(
        self, name: str, unit: str, runs: Sequence[float], goal: Goal | None = None, note: str = ""
    ) -> Metric:
        metric = Metric(name, unit, [float(v) for v in runs], goal, note)
        self.metrics.append(metric)
        return metric


def machine() -> dict[str, Any]:
    memory = psutil.virtual_memory().total
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(memory / 2**30, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table(figures: Sequence[Figure]) -> str:
    """Markdown, so it reads in a terminal and pastes into the README as it is."""
    lines = [
        "| figure | metric | median (min–max) | target | |",
        "|---|---|---|---|---|",
    ]
    for figure in figures:
        for index, metric in enumerate(figure.metrics):
            verdict = {True: "✅", False: "❌", None: ""}[metric.passed]
            name = metric.name + (f" ({metric.note})" if metric.note else "")
            title = figure.title if index == 0 else ""
            target = metric.goal.text if metric.goal else ""
            lines.append(f"| {title} | {name} | {metric.cell()} | {target} | {verdict} |")
    notes = [f"- {figure.title}: {note}" for figure in figures for note in figure.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


def write_json(figures: Sequence[Figure], options: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"bench-{stamp}.json"
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "options": options,
        "figures": [
            {
                "key": figure.key,
                "title": figure.title,
                "seconds": round(figure.seconds, 1),
                "metrics": [metric.as_json() for metric in figure.metrics],
                "notes": figure.notes,
                "raw": figure.raw,
            }
            for figure in figures
        ],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=_jsonable))
    return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)
