"""Working a case: Terima (take), status changes, notes, and permission checks.

Every read and change of a case is audit-logged. Permission is checked on every press: a case
is open to the people it was alerted to and to coordinators; once taken, changes are for its
owner and the coordinators only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox, scheduling
from services.alerting import (
    ASSIGNED_ROUNDS,
    ESCALATE,
    LEVEL_KELURAHAN,
    AlertPolicy,
    dispatch_again,
    is_report_id,
    load_report,
)
from services.case_buttons import INFO
from services.case_buttons import pack as pack_button
from services.case_views import CardRef, display_name, refresh_cards, send_card, shown
from services.i18n import translator
from services.notices import notify_reporter_of_owner, notify_reporter_of_status
from services.quiet_hours import QuietHours
from services.reminders import case_changed
from services.roles import COORDINATOR, OFFICER, is_coordinator, role_of
from services.text_limits import quote
from storage.models import (
    Alert,
    CaseNote,
    OutboxMessage,
    Report,
    ReportStatusChange,
    User,
)
from storage.repositories import case_access
from storage.repositories import cases as case_rows
from storage.repositories.audit import AuditRepo
from storage.repositories.outbox import OutboxRow
from storage.repositories.reports import ReportRepo
from storage.repositories.staff import StaffRepo

OPEN_STATUSES = ("baru", "diterima", "ditangani", "dirujuk")


class NotAllowed(Exception):
    """The user may not do this to this case (and nothing was changed)."""


class Stale(Exception):
    """The press came from a card older than the case (it changed elsewhere meanwhile), or
    asks for what the case's state does not allow now: nothing was changed."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.id)
        self.report = report


@dataclass(frozen=True, slots=True)
class Press:
    """A change asked for from a case card: the version of the case the card showed (None:
    not from a card) and where the card is, so the other cards can follow."""

    version: int | None = None
    card: CardRef | None = None
    tz: ZoneInfo | None = None


@dataclass(frozen=True, slots=True)
class Taken:
    won: bool
    owner_id: int
    owner_name: str


async def may_see(session: AsyncSession, report: Report, user_id: int) -> bool:
    """Alerted officers and coordinators may see a case (officers only their own area's).

    Alerted while they were staff is not enough: someone removed from the officers keeps the
    old alerts in their chat, and their buttons must open nothing. Alerted as an officer of
    the kelurahan or, none being on duty there, of its kecamatan: still serving in that
    kecamatan (a kelurahan taken away from them takes its cases' alerts with it). The rule
    itself is one SQL expression, shared with the sender's check before each delivery."""
    return await case_access.may_see(session, report.id, report.kelurahan_id, user_id)


async def record_refusal(
    session: AsyncSession, action: str, *, actor_id: int | None, report_id: int
) -> None:
    """Audit-log a refused press or message about a case. A forged id of no stored case goes
    into the detail: the row's report column may only name a stored report."""
    audit = AuditRepo(session)
    if not is_report_id(report_id) or await session.get(Report, report_id) is None:
        await audit.record(action, actor_id=actor_id, unknown_report=report_id)
    else:
        await audit.record(action, actor_id=actor_id, report_id=report_id)


async def may_change(session: AsyncSession, report: Report, user_id: int) -> bool:
    role = await role_of(session, user_id)
    return role == COORDINATOR or (role == OFFICER and report.owner_id == user_id)


async def hand_back_cases(
    session: AsyncSession,
    officer_id: int,
    policy: AlertPolicy,
    now: datetime,
    *,
    actor_id: int | None,
    kelurahan_ids: Collection[int] | None = None,
    unseen_only: bool = False,
) -> list[str]:
    """The open cases `officer_id` had taken (in `kelurahan_ids`, or all; with `unseen_only`,
    those they may not see now) go back to being new: nobody owns them, and their kelurahan's
    officers on duty are alerted again (then the escalation, as for a new report). For an
    officer removed, no longer serving a kelurahan, or a coordinator no more: nothing of a case
    may reach them any more (relays, reminders, follow-ups go to the owner), and a case must
    never be left with nobody able to act. The reporter is told their report waits for a new
    officer (after the quiet hours, unless urgent). Returns their codes."""
    codes: list[str] = []
    for report_id in await case_rows.owned(session, officer_id, OPEN_STATUSES, kelurahan_ids):
        report = await load_report(session, report_id)
        assert report is not None
        if unseen_only and await may_see(session, report, officer_id):
            continue
        report.owner_id = None
        report.status = "baru"
        report.updated_at = now
        await ReportRepo(session).advance_version(report, None)
        session.add(
            ReportStatusChange(
                report_id=report.id, status="baru", at=now, actor_id=actor_id, note="handed back"
            )
        )
        await AuditRepo(session).record(
            "case_handed_back", actor_id=actor_id, report_id=report.id, officer_id=officer_id
        )
        await dispatch_again(session, report, policy, now)
        await notify_reporter_of_owner(session, report, now, policy.quiet, handed_back=True)
        await refresh_cards(session, report, policy.timezone, now)
        codes.append(report.code)
    return codes


async def take_case(
    session: AsyncSession,
    report_id: int,
    user_id: int,
    now: datetime,
    quiet: QuietHours | None,
    press: Press | None = None,
) -> Taken:
    """Terima: the first press owns the case; concurrent presses cannot both win. The reporter
    is told (after `quiet` hours, unless the report is urgent)."""
    press = press or Press()
    report = await load_report(session, report_id)
    if report is None or not await may_see(session, report, user_id):
        await record_refusal(session, "take_refused", actor_id=user_id, report_id=report_id)
        raise NotAllowed
    won = await case_rows.take_if_free(session, report_id, user_id, now)
    report = await load_report(session, report_id)
    assert report is not None and report.owner_id is not None
    owner_name = await display_name(session, report.owner_id)
    if not won:
        await AuditRepo(session).record("take_lost", actor_id=user_id, report_id=report_id)
        return Taken(False, report.owner_id, owner_name)
    session.add(
        ReportStatusChange(report_id=report.id, status="diterima", at=now, actor_id=user_id)
    )
    await AuditRepo(session).record("case_taken", actor_id=user_id, report_id=report.id)
    await scheduling.cancel_for_report(session, report.id, ESCALATE)
    await _withdraw_alerts(session, report, user_id, owner_name)
    await notify_reporter_of_status(session, report, now, quiet)
    await case_changed(session, report, now)  # arms the officer reminder
    await _cards_follow(session, report, press, now)
    return Taken(True, user_id, owner_name)


async def _cards_follow(session: AsyncSession, report: Report, press: Press, now: datetime) -> None:
    """The pressed card is the case's card from now on (its own update redraws it); every other
    card of the case is brought up to date."""
    if press.card is not None:
        await shown(session, report.id, press.card)
    await refresh_cards(session, report, press.tz, now, pressed=press.card)


async def _withdraw_alerts(
    session: AsyncSession, report: Report, owner_id: int, owner_name: str
) -> None:
    """Alerts not sent yet are dropped; sent ones are edited to say who took the case. One being
    sent right now (claimed) is left alone: the delivery hook edits it as soon as it lands."""
    await case_rows.cancel_unsent_alerts(session, report.id, owner_id)
    sent = await case_rows.sent_alerts(session, report.id)
    for row in sent:
        await edit_taken_alert(session, OutboxRow.of(row), report, owner_id, owner_name)


async def edit_taken_alert(
    session: AsyncSession, row: OutboxRow, report: Report, owner_id: int, owner_name: str
) -> None:
    assert row.result_message_id is not None and row.recipient_id is not None
    chat_id = row.recipient_id  # staff: their Telegram id
    recipient = await session.get(User, chat_id)
    _ = translator(recipient.language if recipient is not None else None)
    taken = _("✅ {code} taken by {name}").format(code=report.code, name=quote(owner_name))
    if chat_id == owner_id:
        return  # the owner's own message becomes the case card (conversations/cases)
    sharing = await case_rows.sent_as(session, chat_id, row.result_message_id)
    if len(sharing) > 1:
        payload = outbox.call(
            "editMessageReplyMarkup",
            chat_id=chat_id,
            message_id=row.result_message_id,
            reply_markup={"inline_keyboard": await _combined_keyboard(session, sharing, _)},
        )
    else:
        original = str((row.payload or {}).get("params", {}).get("text", ""))
        payload = outbox.call(
            "editMessageText",
            chat_id=chat_id,
            message_id=row.result_message_id,
            text=f"{original}\n\n<b>{taken}</b>",
            parse_mode="HTML",
        )
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=payload,
        kind="alert_edit",
        lane=outbox.Lane.ALERT,
        dedupe_key=f"taken:{report.id}:{chat_id}:{row.result_message_id}",
        report_id=report.id,
    )


async def _combined_keyboard(
    session: AsyncSession, rows: list[OutboxMessage], _: Callable[[str], str]
) -> list[list[dict[str, str]]]:
    """The keyboard of a combined alert, with "taken by" in place of each taken case's Terima."""
    keyboard: list[list[dict[str, str]]] = []
    for row in sorted(rows, key=lambda r: r.id):
        case = await session.get(Report, row.report_id) if row.report_id else None
        markup = (row.payload or {}).get("params", {}).get("reply_markup", {})
        if case is None or case.owner_id is None:
            keyboard.extend(markup.get("inline_keyboard", []))
            continue
        name = await display_name(session, case.owner_id)
        text = _("✅ {code} taken by {name}").format(code=case.code, name=name)
        keyboard.append([{"text": text, "callback_data": pack_button(INFO, case.id)}])
    return keyboard


async def set_status(
    session: AsyncSession,
    report_id: int,
    user_id: int,
    status: str,
    now: datetime,
    quiet: QuietHours | None,
    *,
    partner: str | None = None,
    outcome: str | None = None,
    press: Press | None = None,
) -> Report:
    """Ditangani, dirujuk or selesai, by the owner or a coordinator, on a case that is not
    closed (reopening is an action of its own: reopen_case). From a card, only if the case
    is still as the card showed it (Stale otherwise, and nothing changes)."""
    press = press or Press()
    report = await load_report(session, report_id)
    if report is None or not await may_change(session, report, user_id):
        await record_refusal(session, "status_refused", actor_id=user_id, report_id=report_id)
        raise NotAllowed
    if report.status == "selesai":
        raise Stale(report)
    if not await ReportRepo(session).advance_version(report, press.version):
        raise Stale(report)
    report.status = status
    report.updated_at = now
    if partner is not None:
        report.referral_partner = partner
    if status == "selesai":
        report.closed_at = now
        report.outcome = outcome
    session.add(ReportStatusChange(report_id=report.id, status=status, at=now, actor_id=user_id))
    await AuditRepo(session).record(
        "status_changed", actor_id=user_id, report_id=report.id, status=status
    )
    await notify_reporter_of_status(session, report, now, quiet)
    await case_changed(session, report, now)  # re-arms the reminder; closing ends follow-ups
    await _cards_follow(session, report, press, now)
    return report


async def reopen_case(
    session: AsyncSession,
    report_id: int,
    user_id: int,
    now: datetime,
    quiet: QuietHours | None,
    press: Press,
) -> Report:
    """A closed case is worked again ("ditangani"): asked first (conversations/cases), its
    own audit row with the outcome it had, and the reporter is told. Officer reminders start
    again (the reporter's check-ins too: services.followups.resume_followups)."""
    report = await load_report(session, report_id)
    if report is None or not await may_change(session, report, user_id):
        await record_refusal(session, "reopen_refused", actor_id=user_id, report_id=report_id)
        raise NotAllowed
    if report.status != "selesai":
        raise Stale(report)
    if not await ReportRepo(session).advance_version(report, press.version):
        raise Stale(report)
    previous = report.outcome
    report.status = "ditangani"
    report.closed_at = None
    report.outcome = None
    report.updated_at = now
    session.add(
        ReportStatusChange(
            report_id=report.id, status="ditangani", at=now, actor_id=user_id, note="reopened"
        )
    )
    await AuditRepo(session).record(
        "case_reopened", actor_id=user_id, report_id=report.id, outcome=previous
    )
    await notify_reporter_of_status(session, report, now, quiet)
    await case_changed(session, report, now)
    await _cards_follow(session, report, press, now)
    return report


@dataclass(frozen=True, slots=True)
class Assignable:
    """An officer a coordinator may hand a case to: one who serves its kecamatan (and so may
    see it once alerted), those of its own kelurahan first."""

    officer_id: int
    name: str
    in_kelurahan: bool


async def assignable_officers(session: AsyncSession, report: Report) -> list[Assignable]:
    serving = await StaffRepo(session).serving_kecamatan(report.kelurahan.kecamatan_id)
    people = [
        Assignable(user.id, user.display_name or f"#{user.id}", report.kelurahan_id in areas)
        for user, areas in serving
        if user.id != report.owner_id and user.unreachable_at is None
    ]
    return sorted(people, key=lambda a: (not a.in_kelurahan, a.name.casefold(), a.officer_id))


async def assign_case(
    session: AsyncSession,
    report_id: int,
    coordinator_id: int,
    officer_id: int,
    now: datetime,
    quiet: QuietHours | None,
    press: Press,
) -> Report:
    """A coordinator hands an open case to an officer of its kecamatan: they own it now (a new
    case counts as taken), get its card, and the reporter is told another officer has it."""
    report = await load_report(session, report_id)
    if report is None or not await is_coordinator(session, coordinator_id):
        await record_refusal(
            session, "assign_refused", actor_id=coordinator_id, report_id=report_id
        )
        raise NotAllowed
    chosen = {a.officer_id for a in await assignable_officers(session, report)}
    if report.status == "selesai" or officer_id not in chosen:
        raise Stale(report)  # closed meanwhile, or that officer no longer serves there
    if not await ReportRepo(session).advance_version(report, press.version):
        raise Stale(report)
    previous = report.owner_id
    report.owner_id = officer_id
    if report.status == "baru":
        report.status = "diterima"
    report.acknowledged_at = report.acknowledged_at or now
    report.updated_at = now
    session.add(
        ReportStatusChange(
            report_id=report.id,
            status=report.status,
            at=now,
            actor_id=coordinator_id,
            note="assigned",
        )
    )
    await AuditRepo(session).record(
        "case_assigned",
        actor_id=coordinator_id,
        report_id=report.id,
        officer_id=officer_id,
        previous_owner=previous,
    )
    name = await display_name(session, officer_id)
    if previous is None:
        await scheduling.cancel_for_report(session, report.id, ESCALATE)
        await _withdraw_alerts(session, report, officer_id, name)
    await _hand_card(session, report, officer_id, coordinator_id, press, now)
    await notify_reporter_of_owner(session, report, now, quiet, handed_back=False)
    await case_changed(session, report, now)  # the reminder is the new owner's
    await _cards_follow(session, report, press, now)
    return report


async def _hand_card(
    session: AsyncSession,
    report: Report,
    officer_id: int,
    coordinator_id: int,
    press: Press,
    now: datetime,
) -> None:
    """The officer gets the case's card, and an alert row: an officer may see a case they were
    alerted to (storage/repositories/case_access.py)."""
    officer = await session.get(User, officer_id)
    _ = translator(officer.language if officer is not None else None)
    title = _("👥 <b>{name} handed you this case.</b>").format(
        name=quote(await display_name(session, coordinator_id))
    )
    outbox_id = await send_card(
        session,
        report,
        officer_id,
        title,
        press.tz or ZoneInfo("UTC"),
        now,
        dedupe_key=f"assigned:{report.id}:{report.version}",
    )
    session.add(
        Alert(
            report_id=report.id,
            recipient_id=officer_id,
            level=LEVEL_KELURAHAN,
            round=ASSIGNED_ROUNDS - report.version,
            outbox_id=outbox_id,
        )
    )


async def add_note(
    session: AsyncSession,
    report_id: int,
    user_id: int,
    text: str,
    now: datetime,
    tz: ZoneInfo | None = None,
) -> None:
    report = await load_report(session, report_id)
    if report is None or not await may_change(session, report, user_id):
        await record_refusal(session, "note_refused", actor_id=user_id, report_id=report_id)
        raise NotAllowed
    session.add(CaseNote(report_id=report.id, author_id=user_id, text=text, at=now))
    report.updated_at = now
    await AuditRepo(session).record("note_added", actor_id=user_id, report_id=report.id)
    await case_changed(session, report, now)  # re-arms the officer reminder
    await session.flush()
    await refresh_cards(session, report, tz, now)  # they count the notes


async def open_cases(session: AsyncSession, user_id: int) -> list[Report]:
    """/kasus: a coordinator sees every open case; an officer those they own or were alerted to
    and nobody took yet."""
    if await is_coordinator(session, user_id):
        return await case_rows.open_cases(session, OPEN_STATUSES)
    return await case_rows.open_cases(session, OPEN_STATUSES, officer_id=user_id)
