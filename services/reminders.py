"""Reminders for acknowledged cases that went quiet.

An acknowledged, open case with no status change and no note for OFFICER_REMINDER_AFTER: its
owner is reminded (with the case card's Open button); still nothing the same time after that:
the coordinators are told. Every change of the case (services/cases.py calls `case_changed`)
cancels what was pending and arms the reminder again from that moment.

Jobs are keyed "remind:<report>:<since>:<stage>", <since> being the change they count from (in
milliseconds), so one silence is reminded of once. The change itself only arms the chain (stage
0, due at once): the reminder delay is a setting, which the job worker holds and the case rules
do not, and this way a case change needs nothing but the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox, scheduling
from services.alerting import load_report
from services.durations import duration_text
from services.followups import FOLLOWUP, is_closed, open_case_keyboard
from services.i18n import translator
from services.roles import coordinator_ids
from services.text_limits import quote
from storage.models import Report, ScheduledJob, User
from storage.repositories import scheduling as jobs
from storage.repositories.audit import AuditRepo
from storage.repositories.case_notes import CaseNoteRepo
from storage.repositories.reports import ReportRepo

REMIND = "remind"
ARM = 0  # due at the change: schedules the owner's reminder
OWNER = 1
COORDINATORS = 2


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    after: timedelta


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_millis(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


async def _schedule(
    session: AsyncSession, report_id: int, since: int, stage: int, due_at: datetime
) -> None:
    key = f"{REMIND}:{report_id}:{since}:{stage}"
    created = await scheduling.schedule(
        session,
        key=key,
        kind=REMIND,
        due_at=due_at,
        report_id=report_id,
        payload={"since": since, "stage": stage},
    )
    if not created:
        # Two changes within the same millisecond: the second cancelled the first's row.
        await jobs.uncancel(session, key)


async def case_changed(session: AsyncSession, report: Report, now: datetime) -> None:
    """A case was taken, changed status or got a note: reminders count from now. A closed case
    gets no more reminders and no more follow-ups with the reporter."""
    await scheduling.cancel_for_report(session, report.id, REMIND)
    if is_closed(report):
        await scheduling.cancel_for_report(session, report.id, FOLLOWUP)
        return
    if report.owner_id is None:
        return
    await _schedule(session, report.id, _millis(now), ARM, now)


async def last_activity(session: AsyncSession, report: Report) -> datetime:
    """The last status change or note (taking the case is a status change)."""
    changed = await ReportRepo(session).last_status_change_at(report.id)
    noted = await CaseNoteRepo(session).last_written_at(report.id)
    moments = [m for m in (changed, noted, report.acknowledged_at) if m is not None]
    return max(moments, default=report.created_at)


async def run_reminder(
    session: AsyncSession, job: ScheduledJob, policy: ReminderPolicy, now: datetime
) -> None:
    """The job handler of one stage."""
    payload = job.payload or {}
    since, stage = int(payload.get("since", 0)), int(payload.get("stage", ARM))
    report = await load_report(session, job.report_id or 0)
    if report is None or report.owner_id is None or is_closed(report):
        return
    if _millis(await last_activity(session, report)) > since:
        return  # the case moved on; that change armed a reminder of its own
    if stage == ARM:
        await _schedule(session, report.id, since, OWNER, _from_millis(since) + policy.after)
        return
    silent = now - _from_millis(since)
    owner = await session.get(User, report.owner_id)
    if stage == OWNER and owner is not None and owner.unreachable_at is None:
        await _remind_owner(session, report, owner, silent, job.key)
        # The officer gets the same time again before the coordinators hear of it.
        await _schedule(session, report.id, since, COORDINATORS, now + policy.after)
        return
    if stage in (OWNER, COORDINATORS):
        reached = stage == COORDINATORS
        await _tell_coordinators(session, report, owner, silent, job.key, reached=reached)


async def _remind_owner(
    session: AsyncSession, report: Report, owner: User, silent: timedelta, key: str
) -> None:
    _ = translator(owner.language)
    text = _(
        "⏰ <b>Reminder:</b> case <code>{code}</code> has had no update for {duration}. "
        "Please update its status or add a note."
    ).format(code=report.code, duration=duration_text(silent, owner.language))
    await outbox.enqueue(
        session,
        chat_id=owner.id,
        payload=outbox.message(text, open_case_keyboard(report, _)),
        kind="case_reminder",
        lane=outbox.Lane.ALERT,
        dedupe_key=f"{key}:{owner.id}",
        report_id=report.id,
    )
    await AuditRepo(session).record(
        "officer_reminded", actor_id=None, report_id=report.id, hours=_hours(silent)
    )


async def _tell_coordinators(
    session: AsyncSession,
    report: Report,
    owner: User | None,
    silent: timedelta,
    key: str,
    *,
    reached: bool,
) -> None:
    """`reached`: the owner was reminded before; otherwise the bot cannot reach them."""
    name = (owner.display_name if owner is not None else None) or f"#{report.owner_id}"
    for coordinator in await coordinator_ids(session):
        user = await session.get(User, coordinator)
        language = user.language if user is not None else None
        _ = translator(language)
        if reached:
            text = _(
                "⚠️ Case <code>{code}</code> (handled by {name}) has had no update for "
                "{duration}, even after a reminder to the officer."
            )
        else:
            text = _(
                "⚠️ Case <code>{code}</code> (handled by {name}) has had no update for "
                "{duration}, and the officer cannot be reached through the bot."
            )
        await outbox.enqueue(
            session,
            chat_id=coordinator,
            payload=outbox.message(
                text.format(
                    code=report.code,
                    name=quote(name),
                    duration=duration_text(silent, language),
                ),
                open_case_keyboard(report, _),
            ),
            kind="case_reminder",
            lane=outbox.Lane.ALERT,
            dedupe_key=f"{key}:{coordinator}",
            report_id=report.id,
        )
    await AuditRepo(session).record(
        "officer_silence_escalated", actor_id=None, report_id=report.id, hours=_hours(silent)
    )


def _hours(silent: timedelta) -> int:
    """Whole hours of silence, as the audit log has always recorded them."""
    return int(silent.total_seconds() // 3600)
