"""Wording of the /siaran screens: audiences, statuses, a broadcast's line in the history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from conversations.staff.texts import local_moment
from conversations.texts import quote
from services import broadcasts
from services.broadcast_texts import Counts
from services.gazetteer import Gazetteer
from storage.models import Broadcast


def audience_text(gazetteer: Gazetteer, kind: str, place_id: int | None) -> str:
    if kind == broadcasts.OFFICERS:
        return _("officers")
    if kind == broadcasts.KECAMATAN and place_id is not None:
        kecamatan = gazetteer.kecamatan(place_id)
        name = kecamatan.name if kecamatan is not None else f"#{place_id}"
        return _("subscribers in kecamatan {name}").format(name=quote(name))
    if kind == broadcasts.KELURAHAN and place_id is not None:
        kelurahan = gazetteer.kelurahan(place_id)
        name = kelurahan.name if kelurahan is not None else f"#{place_id}"
        return _("subscribers in kelurahan {name}").format(name=quote(name))
    return _("all subscribers")


def status_text(broadcast: Broadcast, now: datetime, tz: ZoneInfo) -> str:
    if broadcast.status == broadcasts.SCHEDULED and broadcast.scheduled_at is not None:
        if broadcast.scheduled_at > now:
            return _("scheduled for {moment}").format(
                moment=local_moment(broadcast.scheduled_at, now, tz)
            )
        return _("starting")
    labels = {
        broadcasts.SENDING: _("sending"),
        broadcasts.DONE: _("finished"),
        broadcasts.CANCELLED: _("cancelled"),
    }
    return labels.get(broadcast.status, broadcast.status)


def history_line(
    gazetteer: Gazetteer, broadcast: Broadcast, counts: Counts, now: datetime, tz: ZoneInfo
) -> str:
    started = broadcast.started_at or broadcast.scheduled_at or broadcast.created_at
    header = _("<b>#{id}</b> · {when} · {audience} · {status}").format(
        id=broadcast.id,
        when=f"{started.astimezone(tz):%d-%m-%Y %H:%M}",
        audience=audience_text(gazetteer, broadcast.audience, broadcast.audience_id),
        status=status_text(broadcast, now, tz),
    )
    if broadcast.status == broadcasts.SCHEDULED:
        return header
    numbers = _("✅ {delivered} · ⚠️ {failed} · 🚫 {blocked} · ⏳ {pending}").format(
        delivered=counts.delivered,
        failed=counts.failed,
        blocked=counts.blocked,
        pending=counts.pending,
    )
    return f"{header}\n    {numbers}"
