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
from services.notices import reporter_chat
from services.roles import coordinator_ids
from services.text_limits import quote
from storage.crypto import get_cipher
from storage.models import Report, User
from storage.repositories.audit import AuditRepo

MAX_RELAY = 3000


class NoContact(Exception):
    """The reporter did not agree to be contacted (or erased their data)."""


async def relay_to_reporter(
    session: AsyncSession, report_id: int, officer_id: int, text: str, key: str, now: datetime
) -> Report:
    report = await load_report(session, report_id)
    if report is None or not await may_change(session, report, officer_id):
        await record_refusal(session, "relay_refused", actor_id=officer_id, report_id=report_id)
        raise NotAllowed
    chat_id = reporter_chat(report)
    if chat_id is None:
        raise NoContact
    _ = translator(report.language)
    body = _("💬 A message from the officer handling your report <code>{code}</code>:").format(
        code=report.code
    )
    keyboard = {
        "inline_keyboard": [[case_buttons.button(_("↩️ Reply"), case_buttons.REPLY, report.id)]]
    }
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=outbox.message(f"{body}\n\n{quote(text)}", keyboard),
        kind="relay",
        lane=outbox.LANE_RELAY,
        dedupe_key=f"relay:{key}",
        report_id=report.id,
    )
    await AuditRepo(session).record("relay_to_reporter", actor_id=officer_id, report_id=report.id)
    return report


def is_reporter(report: Report, user_id: int) -> bool:
    return report.reporter_chat_index is not None and (
        report.reporter_chat_index == get_cipher().blind_index(str(user_id))
    )


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
        await outbox.enqueue(
            session,
            chat_id=recipient,
            payload=outbox.message(f"{body}\n\n{quote(text)}", keyboard),
            kind="relay",
            lane=outbox.LANE_RELAY,
            dedupe_key=f"relay:{key}:{recipient}" if report.owner_id is None else f"relay:{key}",
            report_id=report.id,
        )
    await AuditRepo(session).record("relay_to_officer", actor_id=None, report_id=report.id)
    return report
