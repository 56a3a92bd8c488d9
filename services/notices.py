"""Telling the reporter what happens to their report, in their language, only with consent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services import labels, outbox
from services.i18n import translator
from storage.models import Report


def reporter_chat(report: Report) -> int | None:
    """The reporter's chat, if they agreed to be contacted and have not erased their data."""
    if not report.contact_consent or not report.reporter_chat_id:
        return None
    return int(report.reporter_chat_id)


async def notify_reporter_of_status(session: AsyncSession, report: Report) -> None:
    chat_id = reporter_chat(report)
    if chat_id is None:
        return
    _ = translator(report.language)
    text = _("📄 Update on report <code>{code}</code>: <b>{status}</b>").format(
        code=report.code, status=labels.label(_, labels.STATUS, report.status)
    )
    if report.status == "dirujuk" and report.referral_partner:
        text += "\n" + _("Referred to: {partner}").format(
            partner=labels.label(_, labels.PARTNER, report.referral_partner)
        )
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=outbox.message(text),
        kind="status_notice",
        lane=outbox.Lane.NOTICE,
        dedupe_key=f"status:{report.id}:{report.status}:{report.updated_at.timestamp():.0f}",
        report_id=report.id,
    )
