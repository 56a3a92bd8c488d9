"""Typed callback data. aiogram refuses to build one longer than Telegram's 64 bytes."""

from __future__ import annotations

from typing import Self

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
    """Buttons on alerts and case cards; built as plain strings by services/case_buttons.py.

    `version` is the case's version the card showed (None: a button that changes nothing, or
    one from before buttons carried it)."""

    action: str
    report_id: int
    value: str = ""
    version: int | None = None

    @classmethod
    def unpack(cls, value: str) -> Self:
        # Buttons sent before the version was added have one part less: still theirs.
        if value.count(cls.__separator__) == 3:
            value += cls.__separator__
        return super().unpack(value)
