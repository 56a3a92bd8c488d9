"""Awareness broadcasts: the rules, from a coordinator's draft to the final count.

A broadcast is the coordinator's own message (chat id and message id), delivered to each
recipient with copyMessage, so it arrives exactly as written, formatting and media included.

    draft --send now / schedule--> scheduled --job fires--> sending --no row pending--> done
      \\--discard--> discarded     \\--cancel--> cancelled    \\--cancel--> cancelled

- The recipients are computed when the job "broadcast:<id>" fires (at once for "send now"),
  never earlier: whoever unsubscribed meanwhile gets nothing.
- Each recipient is one outbox row keyed "broadcast:<id>:<user>" in the broadcast lane: a job
  run twice (a crash, a restart) adds nobody twice. They are queued QUEUE_STEP at a time, in
  order of user id, each step a job "broadcast_queue:<id>:<n>" of its own: on SQLite a
  transaction holds the one write lock every Kirim needs, and 100,000 rows in one took 4.6 s.
  A step stops once the broadcast is no longer sending (cancelled). The one sender delivers
  the rows with what the alerts leave of the budget.
- Counts come from those rows' statuses: sent is delivered, dead with a 403 is blocked, other
  dead rows failed (after the sender's retries), pending is remaining, cancelled was taken back
  (unless the sender had it in flight at that moment and Telegram accepted it: delivered).
- Progress: a job "broadcast_progress:<id>:<n>" every PROGRESS_EVERY edits the coordinator's
  progress message (through the outbox, so the sender's budget covers it too) and, once no
  row is pending, writes the final report. Everything is in rows: a restart resumes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox, scheduling
from services.broadcast_texts import (
    Counts,
    cancel_button_text,
    ended_text,
    finished_text,
    nobody_text,
    progress_text,
    source_gone_text,
)
from services.clock import Clock
from services.i18n import plural_translator, translator
from storage.models import Broadcast, ScheduledJob, User
from storage.repositories.audit import AuditRepo
from storage.repositories.broadcasts import CANCELLED as ROW_CANCELLED
from storage.repositories.broadcasts import BroadcastRepo
from storage.repositories.outbox import DEAD, PENDING, SENT
from storage.repositories.staff import StaffRepo
from storage.repositories.subscriptions import SubscriptionRepo
from storage.repositories.users import UserRepo

# Audiences (Broadcast.audience); audience_id is the kecamatan or kelurahan id.
ALL = "all"
KECAMATAN = "kecamatan"
KELURAHAN = "kelurahan"
OFFICERS = "officers"
AUDIENCES = (ALL, KECAMATAN, KELURAHAN, OFFICERS)

# Statuses (Broadcast.status).
DRAFT = "draft"
DISCARDED = "discarded"
SCHEDULED = "scheduled"
SENDING = "sending"
DONE = "done"
CANCELLED = "cancelled"

# Scheduled job kinds: all registered on the job runner (job_handlers, bot/app.py).
JOB_KIND = "broadcast"
QUEUE_JOB_KIND = "broadcast_queue"
PROGRESS_JOB_KIND = "broadcast_progress"
# Outbox kinds of the messages to the coordinator about a broadcast.
PROGRESS_KIND = "broadcast_progress"
REPORT_KIND = "broadcast_report"

PROGRESS_EVERY = timedelta(seconds=3)
# Recipients queued per transaction: about 40 ms of the write lock on a small server, and
# 1,000 a second (one step per job tick) stays far ahead of Telegram's 30 a second.
QUEUE_STEP = 1_000
HISTORY_LENGTH = 10
# The sender marks a row dead with this reason on a 403 (bot/sending/outcomes.FORBIDDEN).
FORBIDDEN = "forbidden"
# How Telegram refuses to copy a message that is gone from the coordinator's chat (deleted):
# every copy still to come would be refused the same way.
SOURCE_GONE = "message to copy not found"
# Callback data of the cancel button on the progress message; must equal
# conversations.broadcasts.callbacks.CancelBroadcastCb(id=...).pack() (a test checks it).
CANCEL_CALLBACK = "bx:{id}"

JobHandler = Callable[[AsyncSession, ScheduledJob], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Audience:
    kind: str
    place_id: int | None = None

    @classmethod
    def of(cls, broadcast: Broadcast) -> Audience:
        return cls(broadcast.audience, broadcast.audience_id)


@dataclass(frozen=True, slots=True)
class CancelResult:
    """What cancelling did: `outcome` is "cancelled", "discarded", "already_cancelled",
    "already_finished" or "not_found"; `counts` are those after cancelling."""

    outcome: str
    counts: Counts
    broadcast: Broadcast | None = None


# --- composing ------------------------------------------------------------------------------


async def create_draft(
    session: AsyncSession, *, created_by: int, chat_id: int, message_id: int, now: datetime
) -> Broadcast:
    return await BroadcastRepo(session).add(
        created_by=created_by, source_chat_id=chat_id, source_message_id=message_id, now=now
    )


async def choose_audience(
    session: AsyncSession, broadcast_id: int, audience: Audience
) -> Broadcast | None:
    """Set the audience of a draft; None when it is no longer a draft."""
    return await BroadcastRepo(session).move(
        broadcast_id,
        from_=[DRAFT],
        to=DRAFT,
        audience=audience.kind,
        audience_id=audience.place_id,
    )


async def recipient_ids(
    session: AsyncSession, audience: Audience, *, after: int = 0, limit: int | None = None
) -> list[int]:
    """The audience's user ids above `after`, in ascending order, at most `limit`."""
    if audience.kind == OFFICERS:
        officers = sorted(o.id for o in await StaffRepo(session).officers() if o.id > after)
        return officers[:limit]
    subscriptions = SubscriptionRepo(session)
    place = {}
    if audience.kind == KECAMATAN:
        place = {"kecamatan_id": audience.place_id}
    elif audience.kind == KELURAHAN:
        place = {"kelurahan_id": audience.place_id}
    return await subscriptions.subscriber_ids(after=after, limit=limit, **place)


async def count_recipients(session: AsyncSession, audience: Audience) -> int:
    if audience.kind == OFFICERS:
        return len(await StaffRepo(session).officers())
    subscriptions = SubscriptionRepo(session)
    if audience.kind == KECAMATAN:
        return await subscriptions.count(kecamatan_id=audience.place_id)
    if audience.kind == KELURAHAN:
        return await subscriptions.count(kelurahan_id=audience.place_id)
    return await subscriptions.count()


# --- sending, scheduling, discarding, cancelling --------------------------------------------


def job_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


async def send_at(
    session: AsyncSession, broadcast_id: int, at: datetime, *, actor_id: int
) -> Broadcast | None:
    """Send a draft at `at` (now, for "send now"); None when it is no longer a draft, so a
    second tap on Send does nothing."""
    broadcast = await BroadcastRepo(session).move(
        broadcast_id, from_=[DRAFT], to=SCHEDULED, scheduled_at=at
    )
    if broadcast is None:
        return None
    await scheduling.schedule(
        session,
        key=job_key(broadcast_id),
        kind=JOB_KIND,
        due_at=at,
        payload={"broadcast_id": broadcast_id},
    )
    await AuditRepo(session).record(
        "broadcast_scheduled",
        actor_id=actor_id,
        broadcast_id=broadcast_id,
        audience=broadcast.audience,
    )
    return broadcast


async def discard(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await BroadcastRepo(session).move(broadcast_id, from_=[DRAFT], to=DISCARDED)


async def cancel(
    session: AsyncSession, broadcast_id: int, *, actor_id: int, now: datetime
) -> CancelResult:
    """Stop a scheduled or running broadcast: its job is cancelled and every row not sent
    yet is taken back. Cancelling twice, or a finished one, says so and changes nothing."""
    repo = BroadcastRepo(session)
    broadcast = await repo.move(
        broadcast_id, from_=[SCHEDULED, SENDING], to=CANCELLED, finished_at=now
    )
    if broadcast is None:
        existing = await repo.get(broadcast_id)
        if existing is None:
            return CancelResult("not_found", Counts())
        if existing.status == DRAFT:
            await discard(session, broadcast_id)
            return CancelResult("discarded", Counts(), existing)
        outcome = "already_cancelled" if existing.status == CANCELLED else "already_finished"
        return CancelResult(outcome, await counts(session, broadcast_id), existing)
    await repo.cancel_job(job_key(broadcast_id))
    taken_back = await repo.cancel_pending_rows(broadcast_id)
    await AuditRepo(session).record(
        "broadcast_cancelled", actor_id=actor_id, broadcast_id=broadcast_id, not_sent=taken_back
    )
    return CancelResult("cancelled", await counts(session, broadcast_id), broadcast)


async def stop_source_gone(session: AsyncSession, broadcast_id: int, now: datetime) -> None:
    """Telegram could not copy the coordinator's message (they deleted it): stop the broadcast
    as a cancel does and tell the coordinator why. Nothing if it is not sending any more (the
    other copies in flight fail the same way and find it stopped)."""
    repo = BroadcastRepo(session)
    broadcast = await repo.move(broadcast_id, from_=[SENDING], to=CANCELLED, finished_at=now)
    if broadcast is None:
        return
    taken_back = await repo.cancel_pending_rows(broadcast_id)
    await AuditRepo(session).record(
        "broadcast_source_gone", actor_id=None, broadcast_id=broadcast_id, not_sent=taken_back
    )
    language = await _coordinator_language(session, broadcast)
    _, n_ = translator(language), plural_translator(language)
    current = await counts(session, broadcast_id)
    # Named "final" like the progress job's own last edit, which then finds it taken.
    await _edit_progress(session, broadcast, "final", ended_text(n_, broadcast_id, current.total))
    text = source_gone_text(_, broadcast_id, current)
    await _tell_coordinator(session, broadcast, REPORT_KIND, "report", text)


# --- counting -------------------------------------------------------------------------------


async def counts(session: AsyncSession, broadcast_id: int) -> Counts:
    repo = BroadcastRepo(session)
    found = await repo.row_outcomes(broadcast_id)
    tally = {"delivered": 0, "failed": 0, "blocked": 0, "pending": 0, "cancelled": 0}
    for (status, error), number in found.items():
        if status == SENT:
            tally["delivered"] += number
        elif status == PENDING:
            tally["pending"] += number
        elif status == ROW_CANCELLED:
            tally["cancelled"] += number
        elif status == DEAD and error == FORBIDDEN:
            tally["blocked"] += number
        else:
            tally["failed"] += number
    if tally["cancelled"]:
        # Cancelled while already on its way: it arrived all the same.
        landed = await repo.landed_after_cancel(broadcast_id)
        tally["delivered"] += landed
        tally["cancelled"] -= landed
    broadcast = await repo.get(broadcast_id)
    if broadcast is not None and broadcast.status in (SENDING, CANCELLED):
        # Recipients whose rows later steps were to write (_queue_step): still to come, or
        # never sent.
        unqueued = max(0, (broadcast.recipients or 0) - sum(tally.values()))
        tally["pending" if broadcast.status == SENDING else "cancelled"] += unqueued
    return Counts(**tally)


async def history(
    session: AsyncSession, limit: int = HISTORY_LENGTH
) -> list[tuple[Broadcast, Counts]]:
    """The latest broadcasts that were sent or meant to be (no drafts), newest first."""
    recent = await BroadcastRepo(session).recent(limit, hidden=[DRAFT, DISCARDED])
    return [(broadcast, await counts(session, broadcast.id)) for broadcast in recent]


# --- the jobs -------------------------------------------------------------------------------


def job_handlers(clock: Clock) -> dict[str, JobHandler]:
    """The scheduled-job kinds of broadcasts, for JobRunner.register()."""

    async def start(session: AsyncSession, job: ScheduledJob) -> None:
        await start_sending(session, _broadcast_id(job), clock.now())

    async def queue(session: AsyncSession, job: ScheduledJob) -> None:
        await queue_more(session, job, clock.now())

    async def progress(session: AsyncSession, job: ScheduledJob) -> None:
        await report_progress(session, job, clock.now())

    return {JOB_KIND: start, QUEUE_JOB_KIND: queue, PROGRESS_JOB_KIND: progress}


def _broadcast_id(job: ScheduledJob) -> int:
    return int((job.payload or {})["broadcast_id"])


async def start_sending(session: AsyncSession, broadcast_id: int, now: datetime) -> None:
    """The job of a broadcast fired: the first step of its outbox rows, then the progress."""
    repo = BroadcastRepo(session)
    broadcast = await repo.move(broadcast_id, from_=[SCHEDULED], to=SENDING, started_at=now)
    if broadcast is None:
        # Cancelled before it was due (or started already by a run that committed).
        return
    audience = Audience.of(broadcast)
    # Counted now, queued by steps: the progress shows the whole audience from the start.
    broadcast.recipients = await count_recipients(session, audience)
    language = await _coordinator_language(session, broadcast)
    _, n_ = translator(language), plural_translator(language)
    if not broadcast.recipients:
        await repo.move(broadcast_id, from_=[SENDING], to=DONE, finished_at=now)
        await _tell_coordinator(
            session, broadcast, REPORT_KIND, "report", nobody_text(_, broadcast_id)
        )
        return
    await _queue_step(session, broadcast, audience, after=0, step=1, now=now)
    shown = Counts(pending=broadcast.recipients)
    await _tell_coordinator(
        session,
        broadcast,
        PROGRESS_KIND,
        "start",
        progress_text(_, n_, broadcast_id, shown),
        reply_markup=_cancel_markup(_, broadcast_id),
    )
    await _schedule_progress(session, broadcast_id, 1, now + PROGRESS_EVERY, shown)


async def queue_more(session: AsyncSession, job: ScheduledJob, now: datetime) -> None:
    """A later step of a sending broadcast's outbox rows."""
    payload = job.payload or {}
    # The row lock orders this step and a cancel on PostgreSQL: rows queued after the
    # cancel took the pending ones back would be sent.
    broadcast = await BroadcastRepo(session).move(
        int(payload["broadcast_id"]), from_=[SENDING], to=SENDING
    )
    if broadcast is None:
        return
    step = int(payload["step"])
    await _queue_step(
        session, broadcast, Audience.of(broadcast), after=int(payload["after"]), step=step, now=now
    )


async def _queue_step(
    session: AsyncSession,
    broadcast: Broadcast,
    audience: Audience,
    *,
    after: int,
    step: int,
    now: datetime,
) -> None:
    # One more than a step: whether another step is needed, without a count.
    recipients = await recipient_ids(session, audience, after=after, limit=QUEUE_STEP + 1)
    more = len(recipients) > QUEUE_STEP
    recipients = recipients[:QUEUE_STEP]
    copy = outbox.call(
        "copyMessage",
        from_chat_id=broadcast.source_chat_id,
        message_id=broadcast.source_message_id,
    )
    chats = await UserRepo(session).chats(recipients)
    await BroadcastRepo(session).queue_copies(
        broadcast.id,
        {
            user_id: outbox.addressed(copy, chats[user_id])
            for user_id in recipients
            if user_id in chats
        },
        lane=outbox.Lane.BROADCAST,
    )
    if more:
        await scheduling.schedule(
            session,
            key=queue_job_key(broadcast.id, step + 1),
            kind=QUEUE_JOB_KIND,
            due_at=now,
            payload={"broadcast_id": broadcast.id, "after": recipients[-1], "step": step + 1},
        )
    else:
        # Who (un)subscribed while the steps ran is counted as the rows say.
        broadcast.recipients = await BroadcastRepo(session).row_count(broadcast.id)


def queue_job_key(broadcast_id: int, step: int) -> str:
    return f"broadcast_queue:{broadcast_id}:{step}"


async def report_progress(session: AsyncSession, job: ScheduledJob, now: datetime) -> None:
    """Edit the progress message; at the end (or after a cancel) give the final count."""
    payload = job.payload or {}
    broadcast_id = int(payload["broadcast_id"])
    sequence = int(payload.get("seq", 1))
    repo = BroadcastRepo(session)
    broadcast = await repo.get(broadcast_id)
    if broadcast is None or broadcast.status not in (SENDING, CANCELLED):
        return
    current = await counts(session, broadcast_id)
    language = await _coordinator_language(session, broadcast)
    _, n_ = translator(language), plural_translator(language)
    ended = ended_text(n_, broadcast_id, current.total)
    if broadcast.status == CANCELLED:
        # The cancel already answered in the chat; the progress message loses its button.
        await _edit_progress(session, broadcast, "final", ended)
        return
    if current.pending == 0 and not await repo.still_queueing(broadcast_id):
        await repo.move(broadcast_id, from_=[SENDING], to=DONE, finished_at=now)
        await _edit_progress(session, broadcast, "final", ended)
        text = finished_text(_, broadcast_id, current)
        await _tell_coordinator(session, broadcast, REPORT_KIND, "report", text)
        return
    if list(payload.get("shown") or []) != _shown(current):
        await _edit_progress(
            session,
            broadcast,
            str(sequence),
            progress_text(_, n_, broadcast_id, current),
            reply_markup=_cancel_markup(_, broadcast_id),
        )
    await _schedule_progress(session, broadcast_id, sequence + 1, now + PROGRESS_EVERY, current)


def _shown(current: Counts) -> list[int]:
    return [current.delivered, current.failed, current.blocked, current.pending]


async def _schedule_progress(
    session: AsyncSession, broadcast_id: int, sequence: int, due_at: datetime, shown: Counts
) -> None:
    await scheduling.schedule(
        session,
        key=f"broadcast_progress:{broadcast_id}:{sequence}",
        kind=PROGRESS_JOB_KIND,
        due_at=due_at,
        payload={"broadcast_id": broadcast_id, "seq": sequence, "shown": _shown(shown)},
    )


async def _coordinator_language(session: AsyncSession, broadcast: Broadcast) -> str | None:
    user = await session.get(User, broadcast.created_by)
    return user.language if user is not None else None


def _cancel_markup(_: Callable[[str], str], broadcast_id: int) -> dict[str, Any]:
    button = {
        "text": cancel_button_text(_, broadcast_id),
        "callback_data": CANCEL_CALLBACK.format(id=broadcast_id),
    }
    return {"inline_keyboard": [[button]]}


async def _tell_coordinator(
    session: AsyncSession,
    broadcast: Broadcast,
    kind: str,
    name: str,
    text: str,
    reply_markup: dict[str, Any] | None = None,
) -> None:
    await outbox.enqueue(
        session,
        chat_id=broadcast.created_by,
        payload=outbox.message(text, reply_markup),
        kind=kind,
        lane=outbox.Lane.NOTICE,
        dedupe_key=f"{kind}:{broadcast.id}:{name}",
    )


async def _edit_progress(
    session: AsyncSession,
    broadcast: Broadcast,
    name: str,
    text: str,
    reply_markup: dict[str, Any] | None = None,
) -> None:
    """Edit the progress message, once the sender has delivered it (its id is known)."""
    message_id = await _progress_message_id(session, broadcast)
    if message_id is None:
        return
    params: dict[str, Any] = {
        "chat_id": broadcast.created_by,
        "message_id": message_id,
        "text": text,
        "parse_mode": "HTML",
    }
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    await outbox.enqueue(
        session,
        chat_id=broadcast.created_by,
        payload=outbox.call("editMessageText", **params),
        kind=PROGRESS_KIND,
        lane=outbox.Lane.NOTICE,
        dedupe_key=f"{PROGRESS_KIND}:{broadcast.id}:{name}",
    )


async def _progress_message_id(session: AsyncSession, broadcast: Broadcast) -> int | None:
    if broadcast.progress_message_id is not None:
        return broadcast.progress_message_id
    row = await outbox.by_dedupe_key(session, f"{PROGRESS_KIND}:{broadcast.id}:start")
    if row is None or row.result_message_id is None:
        return None
    broadcast.progress_chat_id = row.recipient_id
    broadcast.progress_message_id = row.result_message_id
    return row.result_message_id
