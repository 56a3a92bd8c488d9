"""`/hapusdata`: erase what we hold about a resident, keep the anonymised case.

The case itself (category, place, dates, status, what happened) stays so the officers can go on
helping the victim; what identifies the reporter goes: name, phone, the chat link and the
evidence's link to the chat, what they were told (and what still waited to be sent), the
conversation draft, the list of message ids, messages still queued for them (and what the sent
ones said), their name on audit entries, the user row with its subscription, and updates of
theirs that could not be handled (parked in the inbox with what they wrote).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.followups import stop_followups
from services.notices import forget_notices
from storage.crypto import get_cipher
from storage.identity import chat_key
from storage.models import utcnow
from storage.repositories import Repo
from storage.repositories import inbox as inbox_rows
from storage.repositories import outbox as outbox_rows


@dataclass(frozen=True, slots=True)
class Erased:
    reports: int


async def erase_personal_data(repo: Repo, telegram_id: int, now: datetime | None = None) -> Erased:
    now = now or utcnow()
    reports = await repo.reports.linked_to_chat(get_cipher().blind_index(str(telegram_id)))
    for report in reports:
        report.reporter_name = None
        report.reporter_phone = None
        report.reporter_chat_id = None
        report.reporter_chat_index = None
        report.contact_consent = False
        report.personal_data_erased_at = now
        for item in report.evidence:
            if item.source:
                item.source = {"file_id": item.source.get("file_id")}
        await stop_followups(repo.session, report.id)
        await repo.audit.record("personal_data_erased", actor_id=None, report_id=report.id)
    await forget_notices(repo.session, [report.id for report in reports])
    await repo.messages.forget_chat(telegram_id)
    await inbox_rows.forget_person(repo.session, chat_key(telegram_id))
    user = await repo.users.by_telegram_id(telegram_id)
    if user is not None and user.role == "resident":
        await outbox_rows.forget_recipient(repo.session, user.id)
        await repo.audit.forget_actor(user.id)
        await repo.users.delete(user.id)
    # Staff keep their row: their role and kelurahan are the service's, not personal data of a
    # reporter; a coordinator removes an officer with /petugas.
    return Erased(reports=len(reports))
