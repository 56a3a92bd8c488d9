"""Reading all of a case from its card: the whole description, the voice note and the map pin
("📄 Full report"), the evidence sent again by file id ("📎 Evidence"), the notes written so
far ("🗒 Notes").

A card shows only the start of a long description (services/case_card.py), and the alert that
carried the rest is gone once it became the card: this is where an officer reads it all,
whenever they need to. Sent through the outbox like the alert itself (the sender checks again
that the reader may see the case), in pages within Telegram's 4096 UTF-16 units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.alerting import captioned, evidence_caption, evidence_payload
from services.case_views import display_name
from services.i18n import translator
from services.text_limits import MESSAGE_LIMIT, quote, split_for_html, utf16_length
from storage.models import Report
from storage.repositories.audit import AuditRepo
from storage.repositories.case_notes import CaseNoteRepo

READ_KIND = "case_read"
# Room for a page's heading line ("📄 LA-ACDE-F347, what happened (2/3)") and the break.
_PAGE_ROOM = MESSAGE_LIMIT - 200

FULL, FILES, NOTES = "full", "files", "notes"


class _Queue:
    """The messages of one press, in order, to one reader."""

    def __init__(
        self, session: AsyncSession, report: Report, reader_id: int, key: str, part: str
    ) -> None:
        self._session = session
        self._report = report
        self._reader = reader_id
        self._prefix = f"read:{key}:{part}"
        self.count = 0

    async def add(self, payload: dict[str, Any]) -> None:
        await outbox.enqueue(
            self._session,
            chat_id=self._reader,
            payload=payload,
            kind=READ_KIND,
            lane=outbox.Lane.REPLY,
            dedupe_key=f"{self._prefix}:{self.count}",
            report_id=self._report.id,
        )
        self.count += 1


async def send_part(
    session: AsyncSession,
    report: Report,
    part: str,
    reader_id: int,
    language: str | None,
    tz: ZoneInfo,
    *,
    key: str,
) -> int:
    """Queue `part` of the case for `reader_id` (who may see it: the caller checked), audit-
    logged; `key` (the press) makes a second delivery of the same press queue nothing new.
    Returns how many messages were queued."""
    queue = _Queue(session, report, reader_id, key, part)
    _ = translator(language)
    if report.anonymised_at is not None:
        await queue.add(outbox.message(_anonymised(report, _, tz)))
    elif part == FULL:
        await _full_report(queue, report, _)
    elif part == FILES:
        await _evidence(queue, report, language)
    else:
        await _notes(session, queue, report, _, tz)
    await AuditRepo(session).record("case_read", actor_id=reader_id, report_id=report.id, part=part)
    return queue.count


def _anonymised(report: Report, _: Callable[[str], str], tz: ZoneInfo) -> str:
    assert report.anonymised_at is not None
    return _(
        "Case <code>{code}</code> was anonymised on {date} (RETENTION): what it said is "
        "deleted, only its counts are kept."
    ).format(code=report.code, date=f"{report.anonymised_at.astimezone(tz):%d-%m-%Y}")


async def _full_report(queue: _Queue, report: Report, _: Callable[[str], str]) -> None:
    description = (report.description or "").strip()
    chunks = split_for_html(description, _PAGE_ROOM) if description else []
    for number, chunk in enumerate(chunks, start=1):
        heading = _("📄 <b>{code}</b>, what happened ({page}/{pages})").format(
            code=report.code, page=number, pages=len(chunks)
        )
        await queue.add(outbox.message(f"{heading}\n\n{quote(chunk)}"))
    if not chunks:
        await queue.add(
            outbox.message(
                _("📄 <b>{code}</b>: nothing was written; the voice note follows.").format(
                    code=report.code
                )
            )
        )
    for item in report.evidence:
        if item.is_description and item.source:
            head = _("Voice note about what happened, {code}").format(code=report.code)
            await queue.add(evidence_payload(item, captioned(head, item)))
    if report.location:
        await queue.add(
            outbox.call(
                "sendLocation",
                latitude=report.location["latitude"],
                longitude=report.location["longitude"],
            )
        )


async def _evidence(queue: _Queue, report: Report, language: str | None) -> None:
    items = [item for item in report.evidence if not item.is_description and item.source]
    for number, item in enumerate(items, start=1):
        caption = evidence_caption(language, number, len(items), report, item)
        await queue.add(evidence_payload(item, caption))
    if not items:
        _ = translator(language)
        await queue.add(
            outbox.message(_("Case <code>{code}</code> has no evidence.").format(code=report.code))
        )


async def _notes(
    session: AsyncSession, queue: _Queue, report: Report, _: Callable[[str], str], tz: ZoneInfo
) -> None:
    blocks: list[str] = []
    for note in await CaseNoteRepo(session).of_report(report.id):
        heading = f"<b>{note.at.astimezone(tz):%d-%m-%Y %H:%M} · "
        heading += f"{quote(await display_name(session, note.author_id))}</b>"
        parts = split_for_html(note.text, _PAGE_ROOM - utf16_length(heading)) or ["–"]
        blocks.append(f"{heading}\n{quote(parts[0])}")
        blocks += [quote(part) for part in parts[1:]]
    pages = _pack(blocks, _PAGE_ROOM)
    for number, page in enumerate(pages, start=1):
        heading = _("🗒 <b>Notes on case {code}</b> ({page}/{pages})").format(
            code=report.code, page=number, pages=len(pages)
        )
        await queue.add(outbox.message(f"{heading}\n\n{page}"))
    if not pages:
        await queue.add(
            outbox.message(_("Case <code>{code}</code> has no notes yet.").format(code=report.code))
        )


def _pack(blocks: list[str], limit: int) -> list[str]:
    """Blocks (each within `limit`) joined by blank lines into as few pages as fit."""
    pages: list[str] = []
    for block in blocks:
        if pages and utf16_length(pages[-1]) + 2 + utf16_length(block) <= limit:
            pages[-1] += "\n\n" + block
        else:
            pages.append(block)
    return pages
