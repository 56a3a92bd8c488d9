"""The coordinators' daily digest: what came in, what waits, what is late, what was closed.

One digest per local day, whatever the number of instances: the job is keyed
"digest:YYYY-MM-DD" (local date), so scheduling it twice is a no-op and only one worker claims
it. Each digest schedules the next one; start-up schedules one too, so a fresh database gets its
first. A digest missed during an outage goes out once when the bot is back, and the next one
comes at the usual time.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox, scheduling
from services.durations import duration_text
from services.i18n import translator
from services.roles import coordinator_ids
from services.text_limits import quote
from storage.models import ScheduledJob as Job
from storage.repositories import digest as digest_rows
from storage.repositories import gazetteer as places
from storage.repositories.audit import AuditRepo
from storage.repositories.users import UserRepo

DIGEST = "digest"
WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    at: time  # local time of day
    timezone: ZoneInfo
    ack_timeout: timedelta
    urgent_ack_timeout: timedelta
    reminder_after: timedelta


@dataclass(slots=True)
class Numbers:
    new: int = 0  # submitted in the last 24 hours
    unacknowledged: int = 0  # open, nobody pressed Terima yet
    overdue: int = 0  # unacknowledged past the ACK timeout, or the owner silent too long
    closed: int = 0  # closed in the last 24 hours
    ack_seconds: list[float] = field(default_factory=list)  # acknowledged in the last 24 h

    @property
    def median_ack(self) -> float | None:
        return statistics.median(self.ack_seconds) if self.ack_seconds else None


@dataclass(frozen=True, slots=True)
class Digest:
    day: date
    total: Numbers
    by_kecamatan: list[tuple[str, Numbers]]


def next_digest_at(now: datetime, policy: DigestPolicy) -> datetime:
    """The first digest time strictly after `now`."""
    local = now.astimezone(policy.timezone)
    moment = datetime.combine(local.date(), policy.at, tzinfo=policy.timezone)
    if moment <= now:
        moment = datetime.combine(
            local.date() + timedelta(days=1), policy.at, tzinfo=policy.timezone
        )
    return moment.astimezone(UTC)


async def schedule_next_digest(session: AsyncSession, policy: DigestPolicy, now: datetime) -> bool:
    """Schedule the next digest; False if it was scheduled already (by us or another instance)."""
    due = next_digest_at(now, policy)
    day = due.astimezone(policy.timezone).date()
    return await scheduling.schedule(
        session,
        key=f"{DIGEST}:{day.isoformat()}",
        kind=DIGEST,
        due_at=due,
        payload={"day": day.isoformat()},
    )


async def compute_digest(session: AsyncSession, policy: DigestPolicy, now: datetime) -> Digest:
    since = now - WINDOW
    rows = await digest_rows.reports_to_count(session, now, since)
    activity = await digest_rows.last_activity(session)
    kecamatan = await places.kecamatan_names_in_order(session)
    total = Numbers()
    per: dict[int, Numbers] = {kec_id: Numbers() for kec_id, _ in kecamatan}
    for report_id, created, acked, closed, owner, urgent, kec_id, is_open in rows:
        counted = [total, per.setdefault(kec_id, Numbers())]
        timeout = policy.urgent_ack_timeout if urgent else policy.ack_timeout
        silent_since = activity.get(report_id, acked or created)
        unacknowledged = bool(is_open) and owner is None
        overdue = (unacknowledged and created + timeout <= now) or (
            bool(is_open) and owner is not None and silent_since + policy.reminder_after <= now
        )
        for numbers in counted:
            numbers.new += created > since
            numbers.unacknowledged += unacknowledged
            numbers.overdue += overdue
            numbers.closed += closed is not None and since < closed <= now
            if acked is not None and since < acked <= now:
                numbers.ack_seconds.append((acked - created).total_seconds())
    names: dict[int, str] = dict(kecamatan)
    return Digest(
        day=now.astimezone(policy.timezone).date(),
        total=total,
        by_kecamatan=[(names.get(kec_id, "?"), numbers) for kec_id, numbers in per.items()],
    )


def digest_text(digest: Digest, policy: DigestPolicy, language: str | None) -> str:
    _ = translator(language)
    total = digest.total
    lines = [
        _("📊 <b>Daily digest, {date}</b>").format(date=digest.day.strftime("%d-%m-%Y")),
        _("New reports (last 24 h): {count}").format(count=total.new),
        _("Not yet accepted: {count}").format(count=total.unacknowledged),
        _("Overdue: {count}").format(count=total.overdue),
        _("Closed (last 24 h): {count}").format(count=total.closed),
        _("Median time to accept: {duration}").format(
            duration=duration_text(total.median_ack, language)
        ),
        _(
            "<i>Overdue: not accepted within the acknowledgement time, or no update from the "
            "officer for {duration}.</i>"
        ).format(duration=duration_text(policy.reminder_after, language)),
        "",
        _("<b>By kecamatan</b>"),
    ]
    lines += [_kecamatan_line(name, numbers, _, language) for name, numbers in digest.by_kecamatan]
    return "\n".join(lines)


def _kecamatan_line(
    name: str, numbers: Numbers, _: Callable[[str], str], language: str | None
) -> str:
    return _(
        "• {kecamatan}: {new} new, {unacknowledged} not accepted, {overdue} overdue, "
        "{closed} closed, median {duration}"
    ).format(
        kecamatan=quote(name),
        new=numbers.new,
        unacknowledged=numbers.unacknowledged,
        overdue=numbers.overdue,
        closed=numbers.closed,
        duration=duration_text(numbers.median_ack, language),
    )


async def run_digest(session: AsyncSession, job: Job, policy: DigestPolicy, now: datetime) -> None:
    """The job handler: one digest to every coordinator, then schedule tomorrow's."""
    digest = await compute_digest(session, policy, now)
    recipients = await coordinator_ids(session)
    languages = await _languages(session, recipients)
    for coordinator in recipients:
        await outbox.enqueue(
            session,
            chat_id=coordinator,
            payload=outbox.message(digest_text(digest, policy, languages.get(coordinator))),
            kind=DIGEST,
            lane=outbox.Lane.NOTICE,
            dedupe_key=f"{job.key}:{coordinator}",
        )
    await AuditRepo(session).record(
        "digest_sent",
        actor_id=None,
        day=(job.payload or {}).get("day"),
        recipients=len(recipients),
        new=digest.total.new,
        unacknowledged=digest.total.unacknowledged,
        overdue=digest.total.overdue,
        closed=digest.total.closed,
    )
    await schedule_next_digest(session, policy, now)


async def _languages(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    ids = list(user_ids)
    if not ids:
        return {}
    return await UserRepo(session).languages(ids)
