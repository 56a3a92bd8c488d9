"""Following up with the reporter: discreet check-ins while the case is open, and their answers.

Only with contact consent and a chat link (notices.reporter_chat). The first check-in comes
FOLLOWUP_AFTER after submission, then one every FOLLOWUP_EVERY while the case is open, never in
QUIET_HOURS (local time): one due in quiet hours moves to the end of the quiet period. The
visible message says nothing about violence or a report, so a glance at the phone reveals
nothing; the question and the answers appear only after the reporter taps Open.

Each check-in is a round: the scheduled_jobs row "followup:<report>:<round>" runs it and then
records in its payload that it was sent and how it was answered, so an answer counts once and
only the latest round's buttons act. A round that falls into quiet hours after all (a late run
after an outage) hands over to the next round at the end of the quiet period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services import case_buttons, outbox, scheduling
from services.alert_text import alert_text, take_keyboard
from services.alerting import (
    LEVEL_COORDINATORS,
    LEVEL_KECAMATAN,
    LEVEL_KELURAHAN,
    AlertPolicy,
    load_report,
    recipients_at,
    send_alert,
)
from services.i18n import translator
from services.notices import news_line, reporter_chat
from services.quiet_hours import QuietHours
from services.roles import coordinator_ids, is_staff
from services.text_limits import quote
from storage.crypto import get_cipher
from storage.models import Alert, Report, ScheduledJob, User
from storage.repositories import alerting as alerts
from storage.repositories import followups as followup_rows
from storage.repositories.audit import AuditRepo
from storage.repositories.users import UserRepo

FOLLOWUP = "followup"  # the job kind, and the outbox kind of the check-in message

# Callback data "fu:<action>:<report id>:<round>", parsed by conversations/followups.
PREFIX = "fu"
OPEN = "open"
CONTACTED = "contacted"  # Sudah dihubungi
NOT_CONTACTED = "nobody"  # Belum ada yang menghubungi
HELP = "help"  # Saya butuh bantuan sekarang
STOP = "stop"  # Berhenti mengingatkan
ANSWERS = (CONTACTED, NOT_CONTACTED, HELP, STOP)

# Why a press changed nothing (the conversation turns these into a clear answer).
UNKNOWN = "unknown"  # no such round was sent (forged data)
UNLINKED = "unlinked"  # the report keeps no link to a chat any more (/hapusdata)
NOT_YOURS = "not_yours"
CLOSED = "closed"
STOPPED = "stopped"
SUPERSEDED = "superseded"  # a newer check-in was sent since
ANSWERED = "answered"


def pack(action: str, report_id: int, round_: int) -> str:
    return f"{PREFIX}:{action}:{report_id}:{round_}"


@dataclass(frozen=True, slots=True)
class FollowupPolicy:
    first_after: timedelta
    every: timedelta
    quiet_hours: tuple[int, int] | None
    timezone: ZoneInfo

    @property
    def quiet(self) -> QuietHours:
        return QuietHours(self.quiet_hours, self.timezone)

    def is_quiet(self, moment: datetime) -> bool:
        return self.quiet.is_quiet(moment)

    def outside_quiet_hours(self, moment: datetime) -> datetime:
        """`moment`, or the end of the quiet period it falls in."""
        return self.quiet.outside(moment)


def round_key(report_id: int, round_: int) -> str:
    return f"{FOLLOWUP}:{report_id}:{round_}"


def is_closed(report: Report) -> bool:
    return report.status == "selesai" or report.closed_at is not None


def _still_wanted(report: Report) -> bool:
    if is_closed(report) or report.followups_stopped:
        return False
    return reporter_chat(report) is not None


async def _schedule_round(
    session: AsyncSession, report_id: int, round_: int, due_at: datetime
) -> None:
    await scheduling.schedule(
        session,
        key=round_key(report_id, round_),
        kind=FOLLOWUP,
        due_at=due_at,
        report_id=report_id,
        payload={"round": round_},
    )


async def schedule_first_followup(
    session: AsyncSession, report: Report, policy: FollowupPolicy | None
) -> None:
    """Called in the transaction that stores the report; nothing without contact consent."""
    if policy is None or reporter_chat(report) is None:
        return
    due = policy.outside_quiet_hours(report.created_at + policy.first_after)
    await _schedule_round(session, report.id, 1, due)


async def resume_followups(
    session: AsyncSession, report: Report, policy: FollowupPolicy | None, now: datetime
) -> None:
    """A case reopened: the check-ins with the reporter go on (closing had ended them), the
    next round `first_after` from now, unless they asked to stop or may not be contacted."""
    if policy is None or not _still_wanted(report):
        return
    rounds = await _rounds(session, report.id)
    later = max(rounds, default=0) + 1
    await _schedule_round(
        session, report.id, later, policy.outside_quiet_hours(now + policy.first_after)
    )


async def stop_followups(session: AsyncSession, report_id: int) -> None:
    """No more check-ins for this report ("Berhenti mengingatkan", /hapusdata)."""
    await followup_rows.mark_stopped(session, report_id)
    await scheduling.cancel_for_report(session, report_id, FOLLOWUP)
    await followup_rows.cancel_queued(session, report_id, FOLLOWUP)


async def _unreachable(session: AsyncSession, chat_id: int) -> bool:
    user = await UserRepo(session).by_telegram_id(chat_id)
    return user is not None and user.unreachable_at is not None


async def run_followup(
    session: AsyncSession, job: ScheduledJob, policy: FollowupPolicy, now: datetime
) -> None:
    """The job handler: send one round's check-in and schedule the next."""
    payload: dict[str, Any] = dict(job.payload or {})
    round_ = int(payload.get("round", 1))
    report = await load_report(session, job.report_id or 0)
    if report is None or not _still_wanted(report):
        return  # closed, stopped or unlinked: the chain ends here
    chat_id = reporter_chat(report)
    assert chat_id is not None
    if policy.is_quiet(now):
        # Late (after a restart or an outage) into the night: the next round, in the morning.
        job.payload = {**payload, "deferred": True}
        await _schedule_round(session, report.id, round_ + 1, policy.outside_quiet_hours(now))
        return
    next_due = policy.outside_quiet_hours(now + policy.every)
    if await _unreachable(session, chat_id):
        # They blocked the bot: send nothing, but keep checking in case they come back (their
        # next message to the bot clears the mark).
        await AuditRepo(session).record(
            "followup_skipped", actor_id=None, report_id=report.id, round=round_
        )
        await _schedule_round(session, report.id, round_ + 1, next_due)
        return
    _ = translator(report.language)
    text = news_line(_)
    keyboard = {
        "inline_keyboard": [
            [{"text": _("📩 Open"), "callback_data": pack(OPEN, report.id, round_)}]
        ]
    }
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=outbox.message(text, keyboard),
        kind=FOLLOWUP,
        lane=outbox.Lane.NOTICE,
        dedupe_key=job.key,
        report_id=report.id,
    )
    await followup_rows.mark_sent(session, report.id, now)
    job.payload = {**payload, "sent": True}
    await AuditRepo(session).record(
        "followup_sent", actor_id=None, report_id=report.id, round=round_
    )
    await _schedule_round(session, report.id, round_ + 1, next_due)


# --- the reporter's answers ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Press:
    """What a pressed follow-up button refers to, or why it changes nothing."""

    refusal: str | None
    report: Report | None = None
    job: ScheduledJob | None = None


async def _rounds(session: AsyncSession, report_id: int) -> dict[int, ScheduledJob]:
    rows = await followup_rows.rounds_locked(session, report_id, FOLLOWUP)
    return {int((job.payload or {}).get("round", 0)): job for job in rows}


async def check_press(session: AsyncSession, report_id: int, round_: int, user_id: int) -> Press:
    """Is this press of round `round_` of `report_id` by `user_id` one that may act?"""
    report = await load_report(session, report_id)
    if report is None:
        return Press(UNKNOWN)
    if report.reporter_chat_index is None or reporter_chat(report) is None:
        return Press(UNLINKED, report)
    if report.reporter_chat_index != get_cipher().blind_index(str(user_id)):
        return Press(NOT_YOURS, report)
    rounds = await _rounds(session, report.id)
    job = rounds.get(round_)
    if job is None or not (job.payload or {}).get("sent"):
        return Press(UNKNOWN, report)
    if is_closed(report):
        return Press(CLOSED, report, job)
    if report.followups_stopped:
        return Press(STOPPED, report, job)
    if any(n > round_ and (later.payload or {}).get("sent") for n, later in rounds.items()):
        return Press(SUPERSEDED, report, job)
    if (job.payload or {}).get("answer"):
        return Press(ANSWERED, report, job)
    return Press(None, report, job)


async def open_followup(session: AsyncSession, report_id: int, round_: int, user_id: int) -> Press:
    """Open: the reporter wants to see the question (nothing is changed yet)."""
    press = await check_press(session, report_id, round_, user_id)
    action = "followup_opened" if press.refusal is None else "followup_refused"
    await AuditRepo(session).record(
        action, actor_id=None, report_id=press.report.id if press.report else None,
        round=round_, reason=press.refusal, answer=OPEN,
    )  # fmt: skip
    return press


@dataclass(frozen=True, slots=True)
class Answered:
    refusal: str | None
    code: str = ""
    language: str = "id"
    owner_reminded: bool = False


async def answer_followup(
    session: AsyncSession,
    report_id: int,
    round_: int,
    answer: str,
    user_id: int,
    policy: AlertPolicy,
    now: datetime,
) -> Answered:
    """Record the reporter's answer to one check-in and act on it, once."""
    press = await check_press(session, report_id, round_, user_id)
    if answer not in ANSWERS:
        # Forged callback data: refused, and never copied into the audit log as it came.
        press, answer = Press(press.refusal or UNKNOWN, press.report), "other"
    audit = AuditRepo(session)
    if press.refusal is not None or press.report is None or press.job is None:
        await audit.record(
            "followup_refused", actor_id=None, report_id=press.report.id if press.report else None,
            round=round_, reason=press.refusal, answer=answer,
        )  # fmt: skip
        return Answered(press.refusal or UNKNOWN)
    report, job = press.report, press.job
    job.payload = {**(job.payload or {}), "answer": answer, "answered_at": now.isoformat()}
    await audit.record(
        "followup_answered", actor_id=None, report_id=report.id, round=round_, answer=answer
    )
    reminded = False
    if answer == NOT_CONTACTED:
        reminded = await _nobody_contacted(session, report, round_, policy, now)
    elif answer == HELP:
        await _help_now(session, report, round_, policy, now)
    elif answer == STOP:
        await stop_followups(session, report.id)
    return Answered(None, report.code, report.language, reminded)


async def _language_of(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(User, user_id)
    return user.language if user is not None else None


def open_case_keyboard(report: Report, _: Any) -> dict[str, Any]:
    """The case card's Open button, for messages to officers and coordinators about a case."""
    label = _("📁 Open {code}").format(code=report.code)
    return {"inline_keyboard": [[case_buttons.button(label, case_buttons.OPEN, report.id)]]}


async def _owner_name(session: AsyncSession, owner_id: int) -> str:
    owner = await session.get(User, owner_id)
    return (owner.display_name if owner is not None else None) or f"#{owner_id}"


async def _nobody_contacted(
    session: AsyncSession, report: Report, round_: int, policy: AlertPolicy, now: datetime
) -> bool:
    """Remind the owner (or, with no owner, alert the case again); tell the coordinators.
    True when an owner was reminded."""
    key = f"fu-nobody:{report.id}:{round_}"
    owner_id = report.owner_id
    if owner_id is not None:
        _ = translator(await _language_of(session, owner_id))
        text = _(
            "⏰ The reporter of case <code>{code}</code> says nobody has contacted them yet. "
            "Please get in touch (💬 Contact the reporter) or add a note."
        ).format(code=report.code)
        await outbox.enqueue(
            session,
            chat_id=owner_id,
            payload=outbox.message(text, open_case_keyboard(report, _)),
            kind="reporter_waiting",
            lane=outbox.Lane.ALERT,
            dedupe_key=f"{key}:{owner_id}",
            report_id=report.id,
        )
    else:
        await _alert_again(session, report, round_, policy, now, urgent=False)
    owner_name = await _owner_name(session, owner_id) if owner_id is not None else ""
    for coordinator in await coordinator_ids(session):
        _ = translator(await _language_of(session, coordinator))
        text = _(
            "ℹ️ Follow-up on case <code>{code}</code>: the reporter says nobody has contacted "
            "them yet."
        ).format(code=report.code)
        if owner_id is not None:
            text += " " + _("The officer handling it ({name}) has been reminded.").format(
                name=quote(owner_name)
            )
        else:
            text += " " + _("Nobody has taken the case yet: it was alerted again.")
        # Same key as the owner's reminder: a coordinator who owns the case gets that one only.
        await outbox.enqueue(
            session,
            chat_id=coordinator,
            payload=outbox.message(text, open_case_keyboard(report, _)),
            kind="reporter_waiting",
            lane=outbox.Lane.ALERT,
            dedupe_key=f"{key}:{coordinator}",
            report_id=report.id,
        )
    return owner_id is not None


async def _help_now(
    session: AsyncSession, report: Report, round_: int, policy: AlertPolicy, now: datetime
) -> None:
    """Someone may be in danger now: the report becomes urgent and goes out again to the
    kelurahan's and the kecamatan's on-duty officers, the coordinators and its owner."""
    await followup_rows.mark_urgent(session, report.id)
    fresh = await load_report(session, report.id)
    assert fresh is not None
    await _alert_again(session, fresh, round_, policy, now, urgent=True)
    await AuditRepo(session).record(
        "followup_help_requested", actor_id=None, report_id=report.id, round=round_
    )


async def _alert_again(
    session: AsyncSession,
    report: Report,
    round_: int,
    policy: AlertPolicy,
    now: datetime,
    *,
    urgent: bool,
) -> None:
    people: dict[int, int] = {}  # person -> the level they are alerted at
    if report.owner_id is not None:
        people[report.owner_id] = report.escalation_level
    levels = (
        (LEVEL_KELURAHAN, LEVEL_KECAMATAN, LEVEL_COORDINATORS)
        if urgent
        else tuple(range(report.escalation_level, LEVEL_COORDINATORS + 1))
    )
    for level in levels:
        found = await recipients_at(session, report, level, now, policy.timezone)
        for person in found:
            people.setdefault(person, level)
        if found and not urgent:
            break  # "nobody contacted me": the level the case has reached, as escalation does
    previously = await alerts.everyone_alerted(session, report.id)
    if not urgent:
        # Like an escalation reminder: everyone alerted so far hears of it again.
        for person in sorted(previously):
            people.setdefault(person, report.escalation_level)
    for person, level in people.items():
        if await _unreachable(session, person) or not await is_staff(session, person):
            # Alerted before, removed from the officers since: nothing more of this case.
            continue
        # Someone never alerted gets the whole alert (with evidence); the others a re-alert.
        if person not in previously and await send_alert(
            session, report, person, level, 0, policy.timezone
        ):
            continue
        await _realert(session, report, person, level, round_, policy, urgent=urgent)
    if urgent and report.owner_id is None:
        await followup_rows.mark_escalated(session, report.id, LEVEL_COORDINATORS)


async def _realert(
    session: AsyncSession,
    report: Report,
    person: int,
    level: int,
    round_: int,
    policy: AlertPolicy,
    *,
    urgent: bool,
) -> None:
    language = await _language_of(session, person)
    _ = translator(language)
    title = (
        _("🚨 <b>URGENT: the reporter asks for help now</b>")
        if urgent
        else _("⏰ <b>The reporter says nobody has contacted them yet</b>")
    )
    text = alert_text(report, language, policy.timezone, title=title).first
    if report.owner_id is None:
        keyboard = take_keyboard(report, language)
    else:
        keyboard = open_case_keyboard(report, _)
    # Negative rounds: escalation counts its rounds up from 0, follow-ups count down from -1.
    alert_round = -round_
    outbox_id = await outbox.enqueue(
        session,
        chat_id=person,
        payload=outbox.message(text, keyboard),
        kind="alert",
        lane=outbox.Lane.URGENT if report.urgent else outbox.Lane.ALERT,
        dedupe_key=f"alert:{report.id}:{person}:{alert_round}",
        report_id=report.id,
    )
    if outbox_id is not None:
        session.add(
            Alert(
                report_id=report.id,
                recipient_id=person,
                level=level,
                round=alert_round,
                outbox_id=outbox_id,
            )
        )
