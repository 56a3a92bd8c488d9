"""Typed callback data. aiogram refuses to build one longer than Telegram's 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MenuCb(CallbackData, prefix="m"):
    action: str


class ConsentCb(CallbackData, prefix="c"):
    action: str  # "agree" | "privacy"


class SubscribeCb(CallbackData, prefix="sub"):
    """The resident's opt-in: yes/no, then optionally a kecamatan and a kelurahan."""

    action: str  # "yes" | "no" | "top" | "kec" | "kel" | "city"
    id: int = 0


class LanguageCb(CallbackData, prefix="l"):
    code: str


class ReportCb(CallbackData, prefix="r"):
    """A button of the report conversation: the step it belongs to and the chosen value."""

    step: str
    value: str


class EraseCb(CallbackData, prefix="e"):
    action: str  # /hapusdata: "confirm" | "keep"; /hapus: "wipe" | "nowipe"


class CaseCb(CallbackData, prefix="k"):
    """Buttons on alerts and case cards; built as plain strings by services/case_buttons.py."""

    action: str
    report_id: int
    value: str = ""
