"""Telling the reporter what happens to their report, in their language, only with consent.

Discreet, like the check-ins (services/followups.py): the message itself says only "we have
news for you", with an Open button, so a glance at the phone or its lock screen reveals
nothing. What it is about (a status update, an officer's words) is kept encrypted
(models.ReporterMessage, never in the outbox row or a job) and shown when Open is pressed in
the reporter's own chat; anyone else's press, forged with another id, learns nothing. What can
wait is not sent in QUIET_HOURS but at their end; an urgent report's messages go at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import labels, outbox, scheduling
from services.alerting import is_report_id, load_report
from services.i18n import translator
from services.quiet_hours import QuietHours
from storage.crypto import get_cipher
from storage.models import Report, ScheduledJob
from storage.repositories import outbox as outbox_rows
from storage.repositories.audit import AuditRepo
from storage.repositories.reporter_messages import ReporterMessageRepo

# Outbox kinds of the notices: a status update, an officer's words (services/relay.py).
STATUS_KIND = "status_notice"
RELAY_KIND = "reporter_relay"
KINDS = (STATUS_KIND, RELAY_KIND)
NOTICE_JOB = "notice"  # a notice held through the quiet hours
# Callback data "nw:<reporter message id>" of the Open button (conversations/notices.py).
PREFIX = "nw"


def pack(message_id: int) -> str:
    return f"{PREFIX}:{message_id}"


def reporter_chat(report: Report) -> int | None:
    """The reporter's chat, if they agreed to be contacted and have not erased their data."""
    if not report.contact_consent or not report.reporter_chat_id:
        return None
    return int(report.reporter_chat_id)


def is_reporter(report: Report, user_id: int) -> bool:
    return report.reporter_chat_index is not None and (
        report.reporter_chat_index == get_cipher().blind_index(str(user_id))
    )


def news_line(_: Callable[[str], str]) -> str:
    """All the reporter's phone shows of a notice or a check-in: no report, no code, no topic."""
    return _("👋 Hello, we have news for you. Press the button below when you have a moment.")


async def tell_reporter(
    session: AsyncSession,
    report: Report,
    content: dict[str, Any],
    *,
    kind: str,
    lane: int,
    dedupe_key: str,
    now: datetime,
    quiet: QuietHours | None,
    meta: dict[str, Any] | None = None,
) -> datetime | None:
    """Queue a discreet notice whose Open shows `content` (sendMessage params). Returns when
    it goes out; None when it is not queued (no consent or erased, or queued before). `meta`
    goes into the outbox payload for the delivery hooks (staff ids, never the content)."""
    chat_id = reporter_chat(report)
    if chat_id is None:
        return None
    messages = ReporterMessageRepo(session)
    stored = await messages.add(report.id, content)
    due = now if report.urgent or quiet is None else quiet.outside(now)
    if due > now:
        # Held through the quiet hours by a job on the rules' clock, as check-ins are. Its
        # payload (not encrypted) names the stored message, never what it says nor the chat.
        queued = await scheduling.schedule(
            session,
            key=f"{NOTICE_JOB}:{dedupe_key}",
            kind=NOTICE_JOB,
            due_at=due,
            report_id=report.id,
            payload={
                "message": stored.id,
                "kind": kind,
                "lane": lane,
                "dedupe": dedupe_key,
                "meta": meta or {},
            },
        )
    else:
        queued = await _queue(session, report, chat_id, stored.id, kind, lane, dedupe_key, meta)
    if not queued:
        await messages.remove(stored)  # the same change handled twice: said once
        return None
    return due


async def _queue(
    session: AsyncSession,
    report: Report,
    chat_id: int,
    message_id: int,
    kind: str,
    lane: int,
    dedupe_key: str,
    meta: dict[str, Any] | None,
) -> bool:
    _ = translator(report.language)
    keyboard = {"inline_keyboard": [[{"text": _("📩 Open"), "callback_data": pack(message_id)}]]}
    queued = await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload={**outbox.message(news_line(_), keyboard), **(meta or {})},
        kind=kind,
        lane=lane,
        dedupe_key=dedupe_key,
        report_id=report.id,
    )
    return queued is not None


async def run_notice(
    session: AsyncSession, job: ScheduledJob, quiet: QuietHours, now: datetime
) -> None:
    """The job handler: a notice held through the quiet hours goes out now (unless the
    reporter erased their data or withdrew meanwhile, or it is quiet again: a late run after
    an outage waits for the next morning)."""
    payload = dict(job.payload or {})
    report = await load_report(session, job.report_id or 0)
    message = await ReporterMessageRepo(session).get(int(payload.get("message", 0)))
    chat_id = reporter_chat(report) if report is not None else None
    if report is None or message is None or chat_id is None:
        return
    deferred = int(payload.get("deferred", 0))
    if quiet.is_quiet(now) and not report.urgent:
        await scheduling.schedule(
            session,
            key=f"{NOTICE_JOB}:{deferred + 1}:{payload.get('dedupe')}"[:128],
            kind=NOTICE_JOB,
            due_at=quiet.outside(now),
            report_id=report.id,
            payload={**payload, "deferred": deferred + 1},
        )
        return
    await _queue(
        session,
        report,
        chat_id,
        message.id,
        str(payload.get("kind", STATUS_KIND)),
        int(payload.get("lane", outbox.Lane.NOTICE)),
        str(payload.get("dedupe", job.key)),
        payload.get("meta") or None,
    )


async def notify_reporter_of_status(
    session: AsyncSession, report: Report, now: datetime, quiet: QuietHours | None
) -> None:
    _ = translator(report.language)
    text = _("📄 Update on report <code>{code}</code>: <b>{status}</b>").format(
        code=report.code, status=labels.label(_, labels.STATUS, report.status)
    )
    if report.status == "dirujuk" and report.referral_partner:
        text += "\n" + _("Referred to: {partner}").format(
            partner=labels.label(_, labels.PARTNER, report.referral_partner)
        )
    key = f"status:{report.id}:{report.status}:{report.updated_at.timestamp():.0f}"
    await _tell_status(session, report, text, key, now, quiet)


async def notify_reporter_of_owner(
    session: AsyncSession,
    report: Report,
    now: datetime,
    quiet: QuietHours | None,
    *,
    handed_back: bool,
) -> None:
    """The case changed hands: handed back to be taken again (its officer left the team or the
    kelurahan), or handed by a coordinator to another officer. Never who."""
    _ = translator(report.language)
    if handed_back:
        news = _(
            "The officer who had your report can no longer continue with it. It is waiting "
            "for a new officer, who will take it over."
        )
    else:
        news = _("Another officer now handles your report.")
    text = "\n".join(
        [
            _("📄 Update on report <code>{code}</code>: <b>{status}</b>").format(
                code=report.code, status=labels.label(_, labels.STATUS, report.status)
            ),
            news,
        ]
    )
    await _tell_status(session, report, text, f"owner:{report.id}:{report.version}", now, quiet)


async def _tell_status(
    session: AsyncSession,
    report: Report,
    text: str,
    dedupe_key: str,
    now: datetime,
    quiet: QuietHours | None,
) -> None:
    """A notice that the case's state changed, behind Open as every notice."""
    await tell_reporter(
        session,
        report,
        outbox.message(text)["params"],
        kind=STATUS_KIND,
        lane=outbox.Lane.NOTICE,
        dedupe_key=dedupe_key,
        now=now,
        quiet=quiet,
    )


async def open_notice(
    session: AsyncSession, message_id: int, user_id: int
) -> tuple[Report | None, dict[str, Any] | None]:
    """Open: the report and what notice `message_id` shows, if `user_id` is its reporter
    (their chat, consent not withdrawn, not erased); otherwise the content is None, whoever
    asks and whatever the reason (a forged press learns nothing)."""
    # Ids are 32-bit; a forged larger one finds nothing (PostgreSQL would refuse it).
    message = (
        await ReporterMessageRepo(session).get(message_id) if is_report_id(message_id) else None
    )
    report = await load_report(session, message.report_id) if message is not None else None
    shown = (
        message is not None
        and report is not None
        and reporter_chat(report) is not None
        and is_reporter(report, user_id)
        and message.content
    )
    report_id = report.id if report is not None else None
    # Never the resident's id: the audit log is no place to tie them to their report.
    action = "notice_opened" if shown else "notice_refused"
    await AuditRepo(session).record(action, actor_id=None, report_id=report_id)
    if not shown or message is None:
        return report, None
    return report, message.content


async def forget_notices(session: AsyncSession, report_ids: list[int]) -> None:
    """/hapusdata: what they were told goes, and what still waited (the quiet hours) stays
    unsent."""
    await ReporterMessageRepo(session).forget_reports(report_ids)
    await outbox_rows.cancel_pending(session, report_ids=report_ids, kinds=KINDS)
    for report_id in report_ids:
        await scheduling.cancel_for_report(session, report_id, NOTICE_JOB)


__all__ = [
    "KINDS",
    "NOTICE_JOB",
    "PREFIX",
    "RELAY_KIND",
    "STATUS_KIND",
    "forget_notices",
    "is_reporter",
    "news_line",
    "notify_reporter_of_owner",
    "notify_reporter_of_status",
    "open_notice",
    "pack",
    "reporter_chat",
    "run_notice",
    "tell_reporter",
]
