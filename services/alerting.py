"""Routing a report to people who can act, and the alert rows that reach them.

Level 0 is the on-duty officers of the report's kelurahan, level 1 the on-duty officers of its
kecamatan, level 2 the coordinators. A report is never left unrouted: the first level with
anyone on it gets the alert, and an urgent report also goes to the coordinators at once. Every
alert is an outbox row written in the same transaction as the change that causes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox, scheduling
from services.alert_text import alert_text, take_keyboard
from services.duty import officers_on_duty_in_kecamatan, on_duty_officers
from services.i18n import translator
from services.quiet_hours import QuietHours
from services.roles import coordinator_ids
from services.text_limits import CAPTION_LIMIT, quote, shorten, utf16_length
from storage.models import Evidence, Report, User
from storage.repositories import alerting as alerts
from storage.repositories.audit import AuditRepo

log = logging.getLogger(__name__)

LEVEL_KELURAHAN = 0
LEVEL_KECAMATAN = 1
LEVEL_COORDINATORS = 2

ESCALATE = "escalate"
# Rounds of a case handed back start at the next multiple of this (escalation counts its
# rounds up from 0, one per ACK_TIMEOUT: a million of them is decades).
SERIES = 1_000_000
# The alert row of an officer a coordinator handed the case to (services/cases.assign_case)
# is round ASSIGNED_ROUNDS - the case's version: far below the follow-ups' re-alerts, which
# count down from -1, and never read as a routing's series.
ASSIGNED_ROUNDS = -(2**30)

_SEND_BY_KIND = {
    "photo": ("sendPhoto", "photo"),
    "video": ("sendVideo", "video"),
    "voice": ("sendVoice", "voice"),
    "audio": ("sendAudio", "audio"),
    "document": ("sendDocument", "document"),
    "video_note": ("sendVideoNote", "video_note"),
}


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    ack_timeout: timedelta
    urgent_ack_timeout: timedelta
    timezone: ZoneInfo
    # The reporter's quiet hours, for what routing tells them (a case handed back).
    quiet: QuietHours | None = None

    def timeout_for(self, report: Report) -> timedelta:
        return self.urgent_ack_timeout if report.urgent else self.ack_timeout


def is_report_id(report_id: int) -> bool:
    """Could be a stored report's id: 32-bit (storage/models.py). A forged button may carry a
    larger one, which PostgreSQL would refuse as a parameter."""
    return -(2**31) <= report_id < 2**31


async def load_report(session: AsyncSession, report_id: int) -> Report | None:
    if not is_report_id(report_id):
        return None
    return await alerts.report_to_route(session, report_id)


async def recipients_at(
    session: AsyncSession, report: Report, level: int, now: datetime, tz: ZoneInfo
) -> list[int]:
    if level == LEVEL_KELURAHAN:
        return await on_duty_officers(session, [report.kelurahan_id], now, tz)
    if level == LEVEL_KECAMATAN:
        return await officers_on_duty_in_kecamatan(session, report.kelurahan.kecamatan_id, now, tz)
    return await coordinator_ids(session)


async def first_level_with_people(
    session: AsyncSession, report: Report, start: int, now: datetime, tz: ZoneInfo
) -> tuple[int, list[int]]:
    """The first level from `start` up that has someone to alert (coordinators last)."""
    for level in range(start, LEVEL_COORDINATORS + 1):
        people = await recipients_at(session, report, level, now, tz)
        if people:
            return level, people
    return LEVEL_COORDINATORS, []


async def dispatch_new_report(
    session: AsyncSession, report_id: int, policy: AlertPolicy, now: datetime
) -> list[int]:
    """Alert the right people about a new report and schedule its escalation."""
    report = await load_report(session, report_id)
    assert report is not None
    return await _route(session, report, policy, now, series=0)


async def dispatch_again(
    session: AsyncSession, report: Report, policy: AlertPolicy, now: datetime
) -> list[int]:
    """Route a case handed back (its owner left) as if it were new, in a series of rounds of
    its own: the first routing's rounds (and their alerts' keys) are taken."""
    series = await latest_series(session, report.id) + SERIES
    return await _route(session, report, policy, now, series=series)


async def latest_series(session: AsyncSession, report_id: int) -> int:
    """The series of the report's latest routing: 0 unless it was handed back. Read from its
    alerts' rounds (follow-ups' re-alerts count down from -1 and do not move it)."""
    highest = await alerts.highest_round(session, report_id)
    return (highest or 0) // SERIES * SERIES


async def _route(
    session: AsyncSession, report: Report, policy: AlertPolicy, now: datetime, *, series: int
) -> list[int]:
    level, people = await first_level_with_people(
        session, report, LEVEL_KELURAHAN, now, policy.timezone
    )
    report.escalation_level = level
    recipients = list(dict.fromkeys(people))
    if report.urgent and level < LEVEL_COORDINATORS:
        # Someone may be in danger now: the coordinators see it at once, whoever is on duty.
        recipients += [c for c in await coordinator_ids(session) if c not in recipients]
    if not recipients:
        # Nobody on duty and no coordinator configured: the escalation job keeps trying, but an
        # operator must fix the set-up (COORDINATOR_IDS).
        log.error("report %s has nobody to alert: no officer on duty and no coordinator", report.id)
    for recipient in recipients:
        await send_alert(session, report, recipient, level, 0, policy.timezone, series=series)
    await scheduling.schedule(
        session,
        key=f"{ESCALATE}:{report.id}:{series + 1}",
        kind=ESCALATE,
        due_at=now + policy.timeout_for(report),
        report_id=report.id,
        payload={"step": 1, "series": series} if series else {"step": 1},
    )
    await AuditRepo(session).record(
        "report_routed", actor_id=None, report_id=report.id, level=level, recipients=len(recipients)
    )
    return recipients


def _lane(report: Report) -> int:
    return outbox.Lane.URGENT if report.urgent else outbox.Lane.ALERT


async def _language_of(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(User, user_id)
    return user.language if user is not None else None


async def send_alert(
    session: AsyncSession,
    report: Report,
    recipient: int,
    level: int,
    round_: int,
    tz: ZoneInfo,
    *,
    with_details: bool = True,
    series: int = 0,
) -> bool:
    """Queue the alert (a reminder for round > 0) for one recipient; False if queued before.
    Details (rest of the description, pin, evidence) go to each recipient once.

    `series` (a multiple of SERIES) tells the routing of a case handed back (dispatch_again)
    from its first one: the alert is stored as round `series + round_`."""
    language = await _language_of(session, recipient)
    text = alert_text(report, language, tz, reminder=round_, handed_back=bool(series))
    outbox_id = await outbox.enqueue(
        session,
        chat_id=recipient,
        payload=outbox.message(text.first, take_keyboard(report, language)),
        kind="alert",
        lane=_lane(report),
        dedupe_key=f"alert:{report.id}:{recipient}:{series + round_}",
        report_id=report.id,
    )
    if outbox_id is None:
        return False
    await alerts.add(
        session,
        {
            "report_id": report.id,
            "recipient_id": recipient,
            "level": level,
            "round": series + round_,
            "outbox_id": outbox_id,
        },
    )
    if with_details:
        await _queue_details(session, report, recipient, language, text.continuations)
    return True


async def _queue_details(
    session: AsyncSession,
    report: Report,
    recipient: int,
    language: str | None,
    continuations: list[str],
) -> None:
    """The rest of a long description, the map pin and the evidence, after the alert."""
    prefix = f"alert:{report.id}:{recipient}"
    for index, chunk in enumerate(continuations):
        await outbox.enqueue(
            session,
            chat_id=recipient,
            payload=outbox.message(chunk),
            kind="alert_detail",
            lane=_lane(report),
            dedupe_key=f"{prefix}:more:{index}",
            report_id=report.id,
        )
    if report.location:
        await outbox.enqueue(
            session,
            chat_id=recipient,
            payload=outbox.call(
                "sendLocation",
                latitude=report.location["latitude"],
                longitude=report.location["longitude"],
            ),
            kind="alert_detail",
            lane=_lane(report),
            dedupe_key=f"{prefix}:location",
            report_id=report.id,
        )
    items = list(report.evidence)
    for index, item in enumerate(items, start=1):
        await outbox.enqueue(
            session,
            chat_id=recipient,
            payload=evidence_payload(
                item, evidence_caption(language, index, len(items), report, item)
            ),
            kind="evidence",
            lane=_lane(report),
            dedupe_key=f"{prefix}:evidence:{item.id}",
            report_id=report.id,
        )


def evidence_caption(
    language: str | None, number: int, total: int, report: Report, item: Evidence
) -> str:
    """`Evidence 1/2 for LA-…`, and what the resident wrote with the file."""
    _ = translator(language)
    head = _("Evidence {number}/{total} for {code}").format(
        number=number, total=total, code=report.code
    )
    return captioned(head, item)


def captioned(head: str, item: Evidence) -> str:
    """`head`, then the resident's caption of the file (escaped, in italics as their own
    words), shortened to fit Telegram's caption limit; HTML."""
    written = str((item.source or {}).get("caption") or "").strip()
    if not written:
        return quote(head)
    room = CAPTION_LIMIT - utf16_length(head) - 1  # the line break
    return f"{quote(head)}\n<i>{quote(shorten(written, room))}</i>"


def evidence_payload(item: Evidence, caption: str) -> dict[str, object]:
    """The file sent again by its id: never forwardMessage (it would show who sent it), nor
    copyMessage (the resident may have deleted their message since, with /hapus, and the
    copy would be refused: an officer alerted later would never see the evidence)."""
    source = item.source or {}
    method, field = _SEND_BY_KIND.get(item.kind, ("sendDocument", "document"))
    by_id: dict[str, object] = {field: source.get("file_id")}
    if item.kind != "video_note":  # video notes cannot carry a caption
        by_id["caption"] = caption
        by_id["parse_mode"] = "HTML"
    return outbox.call(method, **by_id)
