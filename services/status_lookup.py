"""`/status <kode>`: what a resident may learn about a report from its code, and the guess limit.

Anyone holding a code sees only the status and dates, never content: a code read over someone's
shoulder must not reveal what was reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.tracking_code import normalize_code
from storage.models import utcnow
from storage.repositories import Repo
from storage.repositories.lookup_limits import LookupLimitRepo


@dataclass(frozen=True, slots=True)
class StatusView:
    code: str
    status: str
    submitted_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TooManyAttempts:
    retry_in: timedelta


@dataclass(frozen=True, slots=True)
class NotFound:
    malformed: bool


StatusResult = StatusView | TooManyAttempts | NotFound


async def look_up_status(
    repo: Repo,
    telegram_id: int,
    text: str,
    *,
    limit: int,
    window: timedelta,
    now: datetime | None = None,
) -> StatusResult:
    now = now or utcnow()
    guesses = await LookupLimitRepo(repo.session).current(telegram_id, now, window)
    if guesses.failures >= limit:
        return TooManyAttempts(retry_in=window - (now - guesses.window_start))

    code = normalize_code(text)
    report = await repo.reports.by_code(code) if code else None
    if report is None:
        guesses.failures += 1
        await repo.audit.record("status_lookup_failed", actor_id=None)
        return NotFound(malformed=code is None)

    await repo.audit.record("status_lookup", actor_id=None, report_id=report.id)
    return StatusView(
        code=report.code,
        status=report.status,
        submitted_at=report.created_at,
        updated_at=await repo.reports.last_change_at(report),
    )
