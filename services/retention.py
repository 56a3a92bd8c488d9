"""Data lifecycle: RETENTION anonymises closed cases; what is kept only for a while expires
(forget_what_expired); handled and parked updates leave the inbox (forget_old_updates).

A case closed longer ago than RETENTION keeps what the statistics need (category, victim,
kelurahan, dates, status history, counts of evidence and notes) and loses everything that
could identify or describe someone: the description, landmark, location pin, where a
trafficked person is held or works, reporter identity and chat link, evidence file ids (and
captions), the text of notes and status notes, what the reporter was told, and the payloads
of its sent messages (an alert holds the description).
Idempotent, in batches, safe to run on several instances at once: a row already anonymised is
not selected again, and wiping twice gives the same result.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_transaction
from storage.repositories import inbox as inbox_rows
from storage.repositories import outbox as outbox_rows
from storage.repositories import retention as cases
from storage.repositories.lookup_limits import LookupLimitRepo
from storage.repositories.messages import ChatMessageRepo
from storage.repositories.reporter_messages import ReporterMessageRepo
from storage.repositories.states import forget_stale_states

log = logging.getLogger(__name__)

BATCH = 200
# Telegram keeps an undelivered update for 24 hours, so a replay cannot be older than that
# (received_at is kept to the hour: an hour more).
HANDLED_UPDATES_TTL = timedelta(hours=25)
# Parked updates (every attempt failed) stay for an operator to look at, with what was written.
PARKED_UPDATES_TTL = timedelta(days=7)


async def anonymise_closed_cases(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    retention: timedelta,
    batch: int = BATCH,
) -> int:
    """Anonymise every case closed before `now - retention`; returns how many."""
    cutoff = now - retention
    total = 0
    while True:
        async with write_transaction(session_factory) as session:
            ids = await cases.closed_before(session, cutoff, limit=batch)
            if not ids:
                break
            await _wipe(session, ids, now)
        total += len(ids)
    if total:
        log.info("retention: anonymised %s closed cases", total)
    return total


async def _wipe(session: AsyncSession, ids: list[int], now: datetime) -> None:
    await cases.wipe_reports(session, ids, now)
    await cases.forget_evidence_files(session, ids)
    await ReporterMessageRepo(session).forget_reports(ids)
    await cases.blank_notes(session, ids)
    # Nobody works a closed case any more: its cards need not follow it.
    await cases.forget_cards(session, ids)
    # Nothing of the case is sent any more, and no row says what it said or to which
    # resident (a status notice, a relay); the rows stay for the counts.
    await outbox_rows.forget_report_rows(session, ids)


async def forget_what_expired(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    draft_ttl: timedelta,
    lookup_window: timedelta,
) -> int:
    """Keep the least, for the shortest time: message ids Telegram would no longer delete,
    drafts nobody came back to, /status guess counts of windows long over, and what rows to
    residents said once they are over. Returns how many rows changed."""
    async with write_transaction(session_factory) as session:
        changed = await ChatMessageRepo(session).prune(now)
        changed += await forget_stale_states(session, now - draft_ttl)
        changed += await LookupLimitRepo(session).prune(now - lookup_window)
        changed += await outbox_rows.forget_done_residents(session)
    return changed


async def forget_old_updates(
    session_factory: async_sessionmaker[AsyncSession], *, now: datetime
) -> int:
    """Handled updates once a replay is no longer possible, parked ones after a week; returns
    how many rows went. Pending updates stay whatever their age."""
    async with write_transaction(session_factory) as session:
        return await inbox_rows.purge(
            session,
            done_before=now - HANDLED_UPDATES_TTL,
            parked_before=now - PARKED_UPDATES_TTL,
        )


__all__ = [
    "HANDLED_UPDATES_TTL",
    "PARKED_UPDATES_TTL",
    "anonymise_closed_cases",
    "forget_old_updates",
    "forget_what_expired",
]
