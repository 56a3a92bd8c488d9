"""Choosing a period, shared by /statistik and /ekspor: preset buttons or typed dates."""

from __future__ import annotations

from datetime import date

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations.insight.callbacks import CUSTOM, InsightCb
from conversations.options import ConversationOptions
from services.statistics import MAX_PERIOD_DAYS, PeriodError


def today(options: ConversationOptions) -> date:
    """The local calendar day: periods are the service's days, not UTC's."""
    return options.clock.now().astimezone(options.timezone).date()


def period_keyboard(tool: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for token, text in (
        ("7d", _("Last 7 days")),
        ("30d", _("Last 30 days")),
        ("year", _("This year")),
        (CUSTOM, _("Other period…")),
    ):
        builder.button(text=text, callback_data=InsightCb(tool=tool, period=token))
    builder.adjust(2)
    return builder.as_markup()


def ask_dates_text() -> str:
    return _(
        "Type the first and the last day of the period, for example:\n"
        "<code>01-10-2026 31-10-2026</code>\n\nOr /batal to stop."
    )


def period_error_text(error: PeriodError) -> str:
    if error.reason == "reversed":
        return _(
            "The first day comes after the last day. Type the earlier date first, for "
            "example <code>01-10-2026 31-10-2026</code>."
        )
    if error.reason == "too_long":
        return _(
            "That period is longer than {years} years. Choose a shorter one, or export "
            "several periods one after another."
        ).format(years=MAX_PERIOD_DAYS // 366)
    return _(
        "I could not read that period. Type two dates as day-month-year, for example "
        "<code>01-10-2026 31-10-2026</code>."
    )
