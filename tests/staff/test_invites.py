"""Officer invitations: one use, 48 hours, only a hash stored, every refusal explained."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gazetteer import Gazetteer
from services.invites import (
    INVITE_LIFETIME,
    Redeemed,
    Refusal,
    Refused,
    code_hash,
    create_invite,
    redeem_invite,
)
from storage.models import AuditLog, Invite, User, utcnow
from storage.repositories.staff import StaffRepo
from tests.staff.conftest import add_user, kelurahan

COORDINATOR, NEWCOMER, LATECOMER = 9001, 9101, 9102


async def test_an_invite_is_made_and_redeemed_once(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    menteng = kelurahan(gazetteer, "Menteng").id
    now = utcnow()
    await add_user(session, COORDINATOR, "coordinator")
    invite = await create_invite(session, kelurahan_id=menteng, created_by=COORDINATOR, now=now)
    # Fits a Telegram deep link (A-Z a-z 0-9 _ -, at most 64) and is not guessable.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", invite.code)
    assert invite.expires_at == now + INVITE_LIFETIME == now + timedelta(hours=48)
    [stored] = await session.scalars(select(Invite))
    assert stored.code_hash == code_hash(invite.code) != invite.code

    result = await redeem_invite(
        session, invite.code, user_id=NEWCOMER, display_name="Budi <b>", now=now
    )
    assert result == Redeemed(kelurahan_id=menteng, role="officer", already_bound=False)
    officer = await session.get(User, NEWCOMER)
    assert officer is not None and officer.role == "officer"
    assert officer.display_name == "Budi <b>"  # stored as typed; escaped where shown
    assert await StaffRepo(session).areas_of(NEWCOMER) == [menteng]
    assert stored.used_by == NEWCOMER and stored.used_at is not None

    # The same link again: refused as used, for someone else; for the officer, refused with
    # the news that they serve there already.
    again = await redeem_invite(session, invite.code, user_id=LATECOMER, display_name="X", now=now)
    assert again == Refused(Refusal.USED)
    again = await redeem_invite(session, invite.code, user_id=NEWCOMER, display_name="X", now=now)
    assert again == Refused(Refusal.USED_BY_YOU, menteng)
    assert await session.get(User, LATECOMER) is None
    assert await StaffRepo(session).areas_of(LATECOMER) == []
    assert officer.display_name == "Budi <b>"

    audit = list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))
    assert [a.action for a in audit] == [
        "invite_created",
        "invite_redeemed",
        "invite_refused",
        "invite_refused",
    ]
    reasons = [(entry.detail or "") for entry in audit[2:]]
    assert "used_by_you" not in reasons[0] and "used" in reasons[0]
    assert "used_by_you" in reasons[1]
    for entry in audit:
        assert invite.code not in (entry.detail or "")
        assert "Budi" not in (entry.detail or "")


async def test_a_removed_officer_cannot_come_back_through_their_old_link(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    sabaru = kelurahan(gazetteer, "Sabaru").id
    invite = await create_invite(session, kelurahan_id=sabaru, created_by=COORDINATOR, now=utcnow())
    await redeem_invite(session, invite.code, user_id=NEWCOMER, display_name="B", now=utcnow())
    await StaffRepo(session).unbind(NEWCOMER, sabaru)
    again = await redeem_invite(
        session, invite.code, user_id=NEWCOMER, display_name="B", now=utcnow()
    )
    assert again == Refused(Refusal.USED)
    assert await StaffRepo(session).areas_of(NEWCOMER) == []


async def test_an_expired_invite_is_refused(session: AsyncSession, gazetteer: Gazetteer) -> None:
    now = utcnow()
    invite = await create_invite(
        session, kelurahan_id=kelurahan(gazetteer, "Sabaru").id, created_by=COORDINATOR, now=now
    )
    at_expiry = now + INVITE_LIFETIME
    result = await redeem_invite(
        session, invite.code, user_id=NEWCOMER, display_name="Budi", now=at_expiry
    )
    assert result == Refused(Refusal.EXPIRED)
    assert await session.get(User, NEWCOMER) is None
    just_before = now + INVITE_LIFETIME - timedelta(seconds=1)
    result = await redeem_invite(
        session, invite.code, user_id=NEWCOMER, display_name="Budi", now=just_before
    )
    assert isinstance(result, Redeemed)


@pytest.mark.parametrize(
    "code",
    [
        # A fixed id: every pytest-xdist worker must collect the same test names.
        pytest.param(secrets.token_urlsafe(16), id="well-formed"),
        "",
        "short",
        "../../etc/passwd",
        "x" * 65,
        "ÄÖÜäöüßÄÖÜäöüßÄÖÜ",
    ],
)
async def test_forged_codes_are_refused(
    session: AsyncSession, gazetteer: Gazetteer, code: str
) -> None:
    await create_invite(
        session,
        kelurahan_id=kelurahan(gazetteer, "Sabaru").id,
        created_by=COORDINATOR,
        now=utcnow(),
    )
    result = await redeem_invite(session, code, user_id=NEWCOMER, display_name="B", now=utcnow())
    assert result == Refused(Refusal.UNKNOWN)
    assert await StaffRepo(session).areas_of(NEWCOMER) == []
    [refusal] = await session.scalars(select(AuditLog).where(AuditLog.action == "invite_refused"))
    assert refusal.actor_id == NEWCOMER and "unknown" in (refusal.detail or "")


async def test_a_coordinator_stays_coordinator(session: AsyncSession, gazetteer: Gazetteer) -> None:
    await add_user(session, COORDINATOR, "coordinator")
    sabaru = kelurahan(gazetteer, "Sabaru").id
    invite = await create_invite(session, kelurahan_id=sabaru, created_by=COORDINATOR, now=utcnow())
    result = await redeem_invite(
        session, invite.code, user_id=COORDINATOR, display_name="Koordinator", now=utcnow()
    )
    assert result == Redeemed(kelurahan_id=sabaru, role="coordinator", already_bound=False)


async def test_an_officer_invited_again_to_the_same_kelurahan(
    session: AsyncSession, gazetteer: Gazetteer
) -> None:
    sabaru = kelurahan(gazetteer, "Sabaru").id
    for _ in range(2):
        invite = await create_invite(
            session, kelurahan_id=sabaru, created_by=COORDINATOR, now=utcnow()
        )
        result = await redeem_invite(
            session, invite.code, user_id=NEWCOMER, display_name="Budi", now=utcnow()
        )
    assert result == Redeemed(kelurahan_id=sabaru, role="officer", already_bound=True)
    assert await StaffRepo(session).areas_of(NEWCOMER) == [sabaru]


async def test_an_invite_for_an_unknown_kelurahan(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="unknown kelurahan"):
        await create_invite(session, kelurahan_id=99999, created_by=COORDINATOR, now=utcnow())
