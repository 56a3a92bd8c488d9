"""Wording shared by the staff conversations: days, times, places and officers' names."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from conversations.texts import quote
from services import durations
from services.gazetteer import Gazetteer
from services.roster import format_minutes

# Longest name shown on a button: a button's text is one short line on a phone.
BUTTON_NAME = 24


def weekday_name(weekday: int, *, short: bool = False) -> str:
    """0 (Monday) to 6 in the update's language, from Babel's CLDR data: `Senin` / `Sen`."""
    return durations.weekday_name(weekday, get_i18n().current_locale, short=short)


def shift_hours(start: int, end: int) -> str:
    """`08:00–16:00`, or `22:00–06:00 (+1)` for a shift that runs past midnight."""
    hours = f"{format_minutes(start)}–{format_minutes(end)}"
    if end <= start:
        return _("{hours} (next day)").format(hours=hours)
    return hours


def zone_name(tz: ZoneInfo, at: datetime) -> str:
    return at.astimezone(tz).tzname() or str(tz)


def local_moment(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """When `at` is, as a person says it: "16:00 WIB today", "... tomorrow", or with a date."""
    moment, today = at.astimezone(tz), now.astimezone(tz).date()
    time = f"{moment:%H:%M} {zone_name(tz, at)}"
    if moment.date() == today:
        return _("{time} today").format(time=time)
    if moment.date() == today + timedelta(days=1):
        return _("{time} tomorrow").format(time=time)
    return _("{time} on {day} {date}").format(
        time=time, day=weekday_name(moment.weekday()), date=f"{moment:%d-%m-%Y}"
    )


def place_name(gazetteer: Gazetteer, kelurahan_id: int) -> str:
    """`Menteng (Jekan Raya)`, escaped (the gazetteer is data and may hold anything)."""
    kelurahan = gazetteer.kelurahan(kelurahan_id)
    if kelurahan is None:
        return _("kelurahan #{id}").format(id=kelurahan_id)
    kecamatan = gazetteer.kecamatan(kelurahan.kecamatan_id)
    if kecamatan is None:
        return quote(kelurahan.name)
    return f"{quote(kelurahan.name)} ({quote(kecamatan.name)})"


def kelurahan_name(gazetteer: Gazetteer, kelurahan_id: int) -> str:
    """The bare name, unescaped: for button texts (Telegram shows those as plain text)."""
    kelurahan = gazetteer.kelurahan(kelurahan_id)
    return kelurahan.name if kelurahan is not None else f"#{kelurahan_id}"


def place_list(gazetteer: Gazetteer, kelurahan_ids: tuple[int, ...] | list[int]) -> str:
    if not kelurahan_ids:
        return _("no kelurahan yet")
    return ", ".join(place_name(gazetteer, kelurahan_id) for kelurahan_id in kelurahan_ids)


def officer_name(name: str | None, officer_id: int) -> str:
    """The name an officer goes by, escaped: Telegram first names are whatever people typed."""
    if name:
        return quote(name)
    return _("Officer {id}").format(id=officer_id)


def officer_button(name: str | None, officer_id: int) -> str:
    """Short and unescaped, for a button."""
    if not name:
        return _("Officer {id}").format(id=officer_id)
    return name if len(name) <= BUTTON_NAME else name[: BUTTON_NAME - 1] + "…"
