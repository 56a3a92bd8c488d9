"""Turning a finished draft into a stored report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.report_draft import Attachment, Draft
from services.tracking_code import new_code
from storage.crypto import get_cipher
from storage.models import Evidence, Report, utcnow
from storage.repositories import Repo


class DraftIncomplete(Exception):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


@dataclass(frozen=True, slots=True)
class Submitted:
    report: Report
    duplicate: bool  # True when this draft had already been stored (a second tap on Kirim)


async def _unique_code(repo: Repo, code: str, taken: bool) -> str:
    while taken:
        code = new_code()
        taken = await repo.reports.code_exists(code)
    return code


def _source(item: Attachment) -> dict[str, object]:
    # The file id: alerts send the file again by it (services/alerting.py). Not the chat and
    # message ids: they would link the report to the chat, and the message may be deleted
    # (/hapus). The caption is what the resident wrote: encrypted with the rest.
    source: dict[str, object] = {"file_id": item.file_id}
    if item.caption:
        source["caption"] = item.caption
    return source


def _evidence_rows(draft: Draft) -> list[Evidence]:
    rows = [
        Evidence(kind=item.kind, source=_source(item), is_description=False)
        for item in draft.evidence
    ]
    if draft.description_voice is not None:
        voice = draft.description_voice
        rows.insert(0, Evidence(kind=voice.kind, source=_source(voice), is_description=True))
    return rows


async def submit_report(
    repo: Repo, draft: Draft, *, chat_id: int, language: str, now: datetime | None = None
) -> Submitted:
    """Store the draft as a new report with status `baru`; idempotent per draft."""
    code = new_code()
    existing, code_taken = await repo.reports.by_draft_or_code(draft.draft_id, code)
    if existing is not None:
        return Submitted(existing, duplicate=True)
    missing = draft.missing()
    if missing:
        raise DraftIncomplete(missing)
    assert draft.kelurahan_id is not None  # checked by missing()
    linked = draft.consent is True
    cipher = get_cipher()
    report = Report(
        code=await _unique_code(repo, code, code_taken),
        draft_id=draft.draft_id,
        status="baru",
        urgent=bool(draft.urgent),
        relation=draft.relation,
        category=draft.category,
        victim=draft.victim,
        victim_age=draft.victim_age,
        child_role=draft.child_role,
        recruitment=draft.recruitment,
        held_at=draft.held_at,
        border=draft.border,
        kelurahan_id=draft.kelurahan_id,
        occurred=draft.occurred,
        landmark=draft.landmark,
        location=draft.location,
        description=draft.description or None,
        anonymous=bool(draft.anonymous),
        reporter_name=None if draft.anonymous else draft.name,
        reporter_phone=None if draft.anonymous else draft.phone,
        contact_consent=linked,
        # Without consent the report keeps no link to the chat at all.
        reporter_chat_id=str(chat_id) if linked else None,
        reporter_chat_index=cipher.blind_index(str(chat_id)) if linked else None,
        language=language,
        created_at=now or utcnow(),
    )
    await repo.reports.add(report, _evidence_rows(draft))
    await repo.audit.record("report_submitted", actor_id=None, report_id=report.id)
    return Submitted(report, duplicate=False)
