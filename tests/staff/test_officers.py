"""Officers and coordinators: listing, kelurahan, removal, promotion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.gazetteer import Gazetteer
from services.officers import (
    add_kelurahan,
    get_officer,
    list_officers,
    remove_kelurahan,
    remove_officer,
)
from services.reporting import submit_report
from services.roles import (
    coordinator_ids,
    demote,
    is_coordinator,
    is_officer,
    officer_kelurahan_ids,
    promote,
)
from storage.identity import pseudonym
from storage.models import AuditLog, DutyOverride, OutboxMessage, RosterShift, User, utcnow
from storage.repositories import Repo
from storage.repositories.roster import RosterRepo
from storage.repositories.staff import StaffRepo
from tests.fixtures.drafts import finished_draft
from tests.fixtures.people import stored_user
from tests.staff.conftest import add_user, kelurahan

ACTOR = 9001


async def test_officers_and_their_kelurahan(session: AsyncSession, gazetteer: Gazetteer) -> None:
    menteng, sabaru = kelurahan(gazetteer, "Menteng").id, kelurahan(gazetteer, "Sabaru").id
    officer = await add_user(session, 11, "officer")
    officer.display_name = "Budi"
    await add_user(session, 12, "coordinator")  # serves nowhere: not an officer
    await add_user(session, 13, "coordinator")
    await add_user(session, 14, "resident")
    await StaffRepo(session).bind(11, sabaru)
    await StaffRepo(session).bind(13, menteng)
    assert await add_kelurahan(session, 11, menteng, actor_id=ACTOR) is True
    assert await add_kelurahan(session, 11, menteng, actor_id=ACTOR) is False

    views = await list_officers(session)
    assert [(v.id, v.role, v.display_name) for v in views] == [
        (11, "officer", "Budi"),
        (13, "coordinator", None),
    ]
    assert set(views[0].kelurahan_ids) == {menteng, sabaru}
    assert await officer_kelurahan_ids(session, 11) == sorted([menteng, sabaru])
    assert await is_officer(session, 11) and await is_officer(session, 13)
    assert not await is_officer(session, 12) and not await is_officer(session, 14)
    assert await coordinator_ids(session) == [12, 13]

    with pytest.raises(LookupError):
        await add_kelurahan(session, 14, menteng, actor_id=ACTOR)
    with pytest.raises(LookupError):
        await add_kelurahan(session, 11, 99999, actor_id=ACTOR)


async def test_removing_a_kelurahan_drops_its_shifts(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    menteng, sabaru = kelurahan(gazetteer, "Menteng").id, kelurahan(gazetteer, "Sabaru").id
    await add_user(session, 11, "officer")
    roster = RosterRepo(session)
    for kel in (menteng, sabaru):
        await StaffRepo(session).bind(11, kel)
        await roster.add(kelurahan_id=kel, officer_id=11, weekday=0, start_minute=0, end_minute=60)
    assert await remove_kelurahan(session, 11, menteng, actor_id=ACTOR) is True
    assert await remove_kelurahan(session, 11, menteng, actor_id=ACTOR) is False
    assert [s.kelurahan_id for s in await roster.shifts_of(11)] == [sabaru]
    assert await officer_kelurahan_ids(session, 11) == [sabaru]


async def test_removing_an_officer(session: AsyncSession, gazetteer: Gazetteer) -> None:
    menteng = kelurahan(gazetteer, "Menteng").id
    officer = await add_user(session, 11, "officer")
    officer.display_name = "Budi"
    coordinator = await add_user(session, 13, "coordinator")
    coordinator.display_name = "Ani"
    roster = RosterRepo(session)
    for user_id in (11, 13):
        await StaffRepo(session).bind(user_id, menteng)
        await roster.add(
            kelurahan_id=menteng, officer_id=user_id, weekday=0, start_minute=0, end_minute=60
        )
        await roster.set_override(user_id, on_duty=True, until=utcnow() + timedelta(hours=1))

    assert await remove_officer(session, 11, actor_id=ACTOR) is True
    # Back to resident, kept under a pseudonym from now on: nothing new names them in clear.
    assert await session.get(User, 11) is None
    removed = await stored_user(session, 11)
    assert removed is not None and (removed.role, removed.display_name) == ("resident", None)
    assert removed.id == pseudonym(11)
    assert await get_officer(session, 11) is None
    assert await remove_officer(session, 11, actor_id=ACTOR) is False
    # A coordinator stops serving the kelurahan but keeps managing the service.
    assert await remove_officer(session, 13, actor_id=ACTOR) is True
    assert coordinator.role == "coordinator"
    assert list(await session.scalars(select(RosterShift))) == []
    assert list(await session.scalars(select(DutyOverride))) == []
    assert await officer_kelurahan_ids(session, 13) == []
    actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["officer_removed", "officer_removed"]


async def test_promote_and_demote(session: AsyncSession, gazetteer: Gazetteer) -> None:
    await add_user(session, 11, "officer")
    await StaffRepo(session).bind(11, kelurahan(gazetteer, "Menteng").id)
    await promote(session, 11, actor_id=ACTOR)
    await promote(session, 12, actor_id=None)  # never talked to the bot: created
    assert await is_coordinator(session, 11) and await is_coordinator(session, 12)
    user = await demote(session, 11, actor_id=ACTOR)
    assert user is not None and user.role == "officer"  # still serves Menteng
    user = await demote(session, 12, actor_id=ACTOR)
    assert user is not None and user.role == "resident"
    assert await demote(session, 404, actor_id=ACTOR) is None
    assert await session.get(User, 404) is None


async def test_nothing_about_a_case_still_queued_reaches_a_removed_officer(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    await add_user(session, 11, "officer")
    await StaffRepo(session).bind(11, kelurahan(gazetteer, "Menteng").id)
    # Queued while Telegram was away: an alert and a relay for them, and a notice about their
    # own report as a resident, which is theirs to read whatever their role.
    queued = {
        kind: await outbox.enqueue(
            session,
            chat_id=11,
            payload=outbox.message(kind),
            kind=kind,
            lane=outbox.Lane.ALERT,
            dedupe_key=f"test:{kind}",
        )
        for kind in ("alert", "relay", "status_notice")
    }
    assert await remove_officer(session, 11, actor_id=ACTOR) is True
    statuses = {
        kind: await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row_id))
        for kind, row_id in queued.items()
    }
    assert statuses == {"alert": "cancelled", "relay": "cancelled", "status_notice": "pending"}


async def test_moved_out_of_a_kecamatan_their_queued_case_messages_there_stay_unsent(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    kalampangan, sabaru = kelurahan(gazetteer, "Kalampangan"), kelurahan(gazetteer, "Sabaru")
    menteng = kelurahan(gazetteer, "Menteng")
    await add_user(session, 11, "officer")
    for area in (kalampangan, sabaru, menteng):
        await StaffRepo(session).bind(11, area.id)
    submitted = await submit_report(
        Repo.over(session),
        finished_draft(kalampangan.id, kalampangan.kecamatan_id),
        chat_id=5,
        language="id",
    )
    row_id = await outbox.enqueue(
        session,
        chat_id=11,
        payload=outbox.message("alert"),
        kind="alert",
        lane=outbox.Lane.ALERT,
        dedupe_key="test:alert",
        report_id=submitted.report.id,
    )

    async def status() -> str | None:
        return await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row_id))

    # Sabaru is in the same kecamatan (Sabangau): they may still see Kalampangan's cases.
    assert await remove_kelurahan(session, 11, kalampangan.id, actor_id=ACTOR)
    assert await status() == "pending"
    # Out of Sabangau altogether (Menteng is Jekan Raya): the alert stays unsent.
    assert await remove_kelurahan(session, 11, sabaru.id, actor_id=ACTOR)
    assert await status() == "cancelled"
