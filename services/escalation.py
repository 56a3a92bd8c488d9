"""Escalation of an alert nobody acknowledged, one recorded step at a time.

Odd steps remind everyone alerted so far; even steps climb one level (kelurahan -> kecamatan ->
coordinators) and alert the new level, skipping a level that would add nobody new. Steps repeat
every ACK_TIMEOUT (URGENT_ACK_TIMEOUT for urgent reports) until someone presses Terima, like an
on-call escalation policy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import scheduling
from services.alerting import (
    ESCALATE,
    LEVEL_COORDINATORS,
    AlertPolicy,
    first_level_with_people,
    latest_series,
    load_report,
    send_alert,
)
from services.roles import COORDINATOR, OFFICER
from storage.models import Report, ScheduledJob
from storage.repositories import alerting as alerts
from storage.repositories.audit import AuditRepo
from storage.repositories.users import UserRepo


def needs_attention(report: Report) -> bool:
    return report.owner_id is None and report.status == "baru"


async def alerted(session: AsyncSession, report_id: int) -> list[int]:
    return await alerts.recipients_in_order(session, report_id)


async def _reachable(session: AsyncSession, user_ids: list[int]) -> list[int]:
    if not user_ids:
        return []
    # Staff only: someone alerted before and removed since hears nothing more of the case.
    reachable = set(await UserRepo(session).reachable_among(user_ids, (OFFICER, COORDINATOR)))
    return [user_id for user_id in user_ids if user_id in reachable]


async def climb(
    session: AsyncSession,
    report: Report,
    policy: AlertPolicy,
    now: datetime,
    step: int,
    series: int = 0,
) -> int:
    """Alert the next level up that adds someone not alerted yet; returns the level reached.

    A level of only people alerted already would remind them once more and keep the level
    above waiting another round (one officer in a kelurahan is also its kecamatan's only one
    on duty): it is skipped, and the climb goes on to the next level at once."""
    if report.escalation_level >= LEVEL_COORDINATORS:
        return report.escalation_level
    already = set(await alerted(session, report.id))
    level = report.escalation_level
    people: list[int] = []
    while level < LEVEL_COORDINATORS:
        level, people = await first_level_with_people(
            session, report, level + 1, now, policy.timezone
        )
        if set(people) - already:
            break
    report.escalation_level = level
    for person in people:
        await send_alert(
            session,
            report,
            person,
            level,
            step,
            policy.timezone,
            with_details=person not in already,
            series=series,
        )
    return level


async def run_escalation_step(
    session: AsyncSession, job: ScheduledJob, policy: AlertPolicy, now: datetime
) -> None:
    report = await load_report(session, job.report_id or 0)
    if report is None or not needs_attention(report):
        return
    step = int((job.payload or {}).get("step", 1))
    series = int((job.payload or {}).get("series", 0))
    if step % 2 == 0 and report.escalation_level < LEVEL_COORDINATORS:
        action = "escalated"
        await climb(session, report, policy, now, step, series)
    else:
        action = "reminded"
        for person in await _reachable(session, await alerted(session, report.id)):
            await send_alert(
                session, report, person, report.escalation_level, step, policy.timezone,
                with_details=False, series=series,
            )  # fmt: skip
    await AuditRepo(session).record(
        "escalation_step",
        actor_id=None,
        report_id=report.id,
        step=step,
        outcome=action,
        level=report.escalation_level,
    )
    await scheduling.schedule(
        session,
        key=f"{ESCALATE}:{report.id}:{series + step + 1}",
        kind=ESCALATE,
        due_at=now + policy.timeout_for(report),
        report_id=report.id,
        payload={"step": step + 1, "series": series} if series else {"step": step + 1},
    )


async def reroute_after_unreachable(
    session: AsyncSession, report_id: int, policy: AlertPolicy, now: datetime
) -> None:
    """An alert bounced (403): if nobody reachable at this level is left, climb at once."""
    report = await load_report(session, report_id)
    if report is None or not needs_attention(report):
        return
    same_level = await alerts.recipients_at_level(session, report.id, report.escalation_level)
    if await _reachable(session, same_level):
        return
    level = await climb(session, report, policy, now, 0, await latest_series(session, report.id))
    await AuditRepo(session).record(
        "alert_rerouted", actor_id=None, report_id=report.id, level=level
    )
