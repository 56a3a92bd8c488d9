"""Buttons of /statistik and /ekspor. The period travels in the button (a preset name or
`20261001-20261031`), so a press needs no stored state and is checked again like a command."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

STATISTICS, EXPORT = "s", "e"
CUSTOM = "custom"
# personal: 0 no personal data, 1 show the warning, 2 confirmed after the warning.
NO_PERSONAL, ASK_PERSONAL, CONFIRMED_PERSONAL = 0, 1, 2


class InsightCb(CallbackData, prefix="i"):
    tool: str  # STATISTICS | EXPORT
    period: str  # "7d" | "30d" | "year" | CUSTOM | "YYYYMMDD-YYYYMMDD"
    fmt: str = ""  # export only: "csv" | "xlsx"
    personal: int = NO_PERSONAL
