"""Callback data of the staff buttons. Short prefixes: Telegram allows 64 bytes in all.

Every one of these is re-checked against the database role when pressed (see filters.py);
the data only says what was pressed, never who may press it.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class PlaceCb(CallbackData, prefix="sp"):
    """Choosing a kelurahan with buttons: kecamatan first, then its kelurahan."""

    purpose: str  # "inv" (/undang) | "ros" (/jadwal)
    level: str  # "top" (the kecamatan) | "kec" (one kecamatan's kelurahan) | "kel" (chosen)
    id: int = 0


class OfficerCb(CallbackData, prefix="so"):
    """/petugas: the list, an officer's card and what can be done from it."""

    # "list" | "card" | "add" | "bind" | "unbind" | "drop" | "dropok" | "coord" | "coordok"
    # | "uncoord" | "uncoordok"
    action: str
    officer_id: int = 0
    kelurahan_id: int = 0
    page: int = 0


class RosterCb(CallbackData, prefix="sr"):
    """/jadwal: add a shift, or remove one."""

    action: str  # "add" | "del" (asks) | "delok" (removes) | "view" (back to the roster)
    kelurahan_id: int
    shift_id: int = 0


class ShiftOfficerCb(CallbackData, prefix="sw"):
    """The officer chosen for a typed shift; the shift travels in the button itself."""

    kelurahan_id: int
    officer_id: int
    weekday: int
    start: int
    end: int


STAFF_CALLBACKS: tuple[type[CallbackData], ...] = (PlaceCb, OfficerCb, RosterCb, ShiftOfficerCb)
