"""Hubungi pelapor: messages between the case owner and the reporter, through the bot.

Neither side sees the other's Telegram identity: the bot sends each message as its own, and
the reporter's chat is only reachable when they agreed to be contacted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import case_buttons, outbox
from services.alerting import load_report
from services.cases import NotAllowed, may_change, record_refusal
from services.i18n import translator
from services.notices import RELAY_KIND, is_reporter, reporter_chat, tell_reporter
from services.quiet_hours import QuietHours
from services.roles import coordinator_ids
from services.text_limits import quote, utf16_length
from storage.crypto import get_cipher
from storage.models import Report, User
from storage.repositories.audit import AuditRepo
from storage.repositories.outbox import OutboxRow

# In UTF-16 units, as Telegram counts (an emoji is two): with the header it stays under 4096.
MAX_RELAY = 3000

# Outbox kinds: to the case's staff (checked as it goes out: services/delivery.py), and to the
# reporter, who is not staff.
TO_STAFF = "relay"
TO_REPORTER = RELAY_KIND

# Payload keys of relay rows that only the delivery hooks read (the sender sends "method" and
# "params"): who wrote a message to the reporter (staff), and that a message to an owner is the
# reporter's own answer. Either is told if Telegram refuses the message for good.
AUTHOR = "relay_author"
FROM_REPORTER = "relay_from_reporter"


def too_long(text: str) -> bool:
    return utf16_length(text) > MAX_RELAY


class NoContact(Exception):
    """The reporter did not agree to be contacted (or erased their data)."""


async def relay_to_reporter(
    session: AsyncSession,
    report_id: int,
    officer_id: int,
    text: str,
    key: str,
    now: datetime,
    quiet: QuietHours | None,
) -> datetime:
    """The officer's words, as a discreet notice (services/notices.py); when it goes out (at
    the end of the quiet hours, unless the report is urgent)."""
    report = await load_report(session, report_id)
    if report is None or not await may_change(session, report, officer_id):
        await record_refusal(session, "relay_refused", actor_id=officer_id, report_id=report_id)
        raise NotAllowed
    if reporter_chat(report) is None:
        raise NoContact
    _ = translator(report.language)
    body = _("💬 A message from the officer handling your report <code>{code}</code>:").format(
        code=report.code
    )
    keyboard = {
        "inline_keyboard": [[case_buttons.button(_("↩️ Reply"), case_buttons.REPLY, report.id)]]
    }
    due = await tell_reporter(
        session,
        report,
        outbox.message(f"{body}\n\n{quote(text)}", keyboard)["params"],
        kind=TO_REPORTER,
        lane=outbox.Lane.RELAY,
        dedupe_key=_dedupe(key),
        now=now,
        quiet=quiet,
        meta={AUTHOR: officer_id},
    )
    await AuditRepo(session).record("relay_to_reporter", actor_id=officer_id, report_id=report.id)
    return due or now


def _dedupe(key: str, recipient: int | None = None) -> str:
    """The relay's outbox key: the incoming message it answers, under the blind index, as
    `key` names the writer's chat (a resident's, on the reporter's side)."""
    hashed = get_cipher().blind_index(f"relay:{key}")
    return f"relay:{hashed}" if recipient is None else f"relay:{hashed}:{recipient}"


async def relay_to_officer(
    session: AsyncSession, report_id: int, reporter_id: int, text: str, key: str, now: datetime
) -> Report:
    """The reporter's answer, to the case's owner; with no owner (a coordinator wrote before
    anyone took it, or the officer who wrote has left the team since), to the coordinators:
    the answer of someone who may be in danger is never dropped."""
    report = await load_report(session, report_id)
    if report is None or not is_reporter(report, reporter_id):
        await record_refusal(session, "reply_refused", actor_id=None, report_id=report_id)
        raise NotAllowed
    recipients = (
        [report.owner_id] if report.owner_id is not None else await coordinator_ids(session)
    )
    for recipient in recipients:
        person = await session.get(User, recipient)
        _ = translator(person.language if person is not None else None)
        if report.owner_id is None:
            body = _(
                "💬 The reporter of <code>{code}</code> answered. No officer has the case "
                "now: please make sure someone takes it (/kasus)."
            ).format(code=report.code)
        else:
            body = _("💬 The reporter of <code>{code}</code> answered:").format(code=report.code)
        keyboard = {
            "inline_keyboard": [
                [case_buttons.button(_("💬 Contact the reporter"), case_buttons.CONTACT, report.id)]
            ]
        }
        payload = outbox.message(f"{body}\n\n{quote(text)}", keyboard)
        if report.owner_id is not None:
            # To the owner alone: if it cannot be delivered, nobody has the answer.
            payload[FROM_REPORTER] = True
        await outbox.enqueue(
            session,
            chat_id=recipient,
            payload=payload,
            kind=TO_STAFF,
            lane=outbox.Lane.RELAY,
            dedupe_key=_dedupe(key, recipient if report.owner_id is None else None),
            report_id=report.id,
        )
    await AuditRepo(session).record("relay_to_officer", actor_id=None, report_id=report.id)
    return report


async def relay_dead(session: AsyncSession, row: OutboxRow) -> None:
    """Telegram refused a relayed message for good: tell whoever wrote it, so that nobody
    waits for an answer to a message that never arrived."""
    report = await load_report(session, row.report_id or 0)
    if report is None:
        return
    payload = row.payload or {}  # the row as the sender claimed it: its payload is there
    author = payload.get(AUTHOR)
    if isinstance(author, int) and await may_change(session, report, author):
        person = await session.get(User, author)
        _ = translator(person.language if person is not None else None)
        text = _(
            "⚠️ Your message to the reporter of <code>{code}</code> could not be delivered: "
            "Telegram refused it."
        ).format(code=report.code)
        await _tell(session, author, text, row, report)
    chat_id = reporter_chat(report)
    if payload.get(FROM_REPORTER) and chat_id is not None:
        _ = translator(report.language)
        # Seen on a lock screen too: nothing about a report or an officer.
        await _tell(session, chat_id, _("⚠️ Your last message could not be delivered."), row, report)


async def _tell(
    session: AsyncSession, chat_id: int, text: str, row: OutboxRow, report: Report
) -> None:
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=outbox.message(text),
        kind="relay_failed",
        lane=outbox.Lane.RELAY,
        dedupe_key=f"relay-dead:{row.id}",
        report_id=report.id,
    )
