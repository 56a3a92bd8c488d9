"""Managing officers (/petugas): who serves where, adding and removing kelurahan and people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.alerting import AlertPolicy
from services.cases import hand_back_cases
from services.i18n import translator
from services.roles import COORDINATOR, OFFICER, RESIDENT, demote, promote
from storage.models import Kelurahan, User
from storage.repositories import case_access
from storage.repositories import officers as officer_rows
from storage.repositories.audit import AuditRepo
from storage.repositories.roster import RosterRepo
from storage.repositories.staff import StaffRepo
from storage.repositories.users import UserRepo


@dataclass(frozen=True, slots=True)
class OfficerView:
    id: int
    display_name: str | None
    role: str
    kelurahan_ids: tuple[int, ...]
    unreachable: bool


async def list_officers(session: AsyncSession) -> list[OfficerView]:
    """Officers, and coordinators who serve a kelurahan, with their kelurahan ids."""
    repo = StaffRepo(session)
    users = await repo.officers()
    areas = await repo.areas_by_officer(user.id for user in users)
    return [_view(user, areas[user.id]) for user in users]


async def get_officer(session: AsyncSession, officer_id: int) -> OfficerView | None:
    """The officer, or None when `officer_id` is not (or no longer) staff."""
    user = await session.get(User, officer_id)
    if user is None or user.role not in (OFFICER, COORDINATOR):
        return None
    return _view(user, await StaffRepo(session).areas_of(officer_id))


def _view(user: User, kelurahan_ids: list[int]) -> OfficerView:
    return OfficerView(
        id=user.id,
        display_name=user.display_name,
        role=user.role,
        kelurahan_ids=tuple(kelurahan_ids),
        unreachable=user.unreachable_at is not None,
    )


async def add_kelurahan(
    session: AsyncSession, officer_id: int, kelurahan_id: int, *, actor_id: int | None
) -> bool:
    """Bind a staff member to one more kelurahan; False if they already served it.

    Raises LookupError when the officer or the kelurahan does not exist (a stale button).
    """
    if await get_officer(session, officer_id) is None:
        raise LookupError("not an officer")
    if await session.get(Kelurahan, kelurahan_id) is None:
        raise LookupError("unknown kelurahan")
    added = await StaffRepo(session).bind(officer_id, kelurahan_id)
    if added:
        await AuditRepo(session).record(
            "officer_area_added",
            actor_id=actor_id,
            officer_id=officer_id,
            kelurahan_id=kelurahan_id,
        )
    return added


async def remove_kelurahan(
    session: AsyncSession, officer_id: int, kelurahan_id: int, *, actor_id: int | None
) -> bool:
    """Unbind the officer from one kelurahan, with their shifts there; False if not bound."""
    removed = await StaffRepo(session).unbind(officer_id, kelurahan_id)
    if not removed:
        return False
    # A shift in a kelurahan they no longer serve would never route anything: drop it too.
    await RosterRepo(session).delete_of(officer_id, kelurahan_id)
    await AuditRepo(session).record(
        "officer_area_removed", actor_id=actor_id, officer_id=officer_id, kelurahan_id=kelurahan_id
    )
    still_near = await officer_rows.serves_near(session, officer_id, kelurahan_id)
    user = await session.get(User, officer_id)
    if not still_near and (user is None or user.role != COORDINATOR):
        # Out of that kecamatan now (case.may_see): what was still queued for them about its
        # cases stays unsent.
        await officer_rows.cancel_case_messages(
            session, officer_id, CASE_MESSAGE_KINDS, in_kecamatan_of=kelurahan_id
        )
    return True


async def remove_officer(session: AsyncSession, officer_id: int, *, actor_id: int | None) -> bool:
    """Remove someone from the officers: areas, shifts and /piket override go.

    An officer goes back to resident and loses the display name (kept for staff only). A
    coordinator keeps the coordinator role: removing them as an officer must not quietly take
    away the right to manage the service (that is `roles.demote`). False if not an officer.
    """
    user = await session.get(User, officer_id)
    if user is None or user.role not in (OFFICER, COORDINATOR):
        return False
    staff, roster = StaffRepo(session), RosterRepo(session)
    await roster.delete_of(officer_id)
    await roster.clear_override(officer_id)
    await staff.unbind_all(officer_id)
    role = user.role
    if role == OFFICER:
        # Whatever about a case was still on its way to them (an outage, a full window) stays
        # unsent: they may not read it any more. (A coordinator still may.)
        await officer_rows.cancel_case_messages(session, officer_id, CASE_MESSAGE_KINDS)
        # Back to resident, under a pseudonym from now on; the display name (kept for staff
        # only) goes with the staff row.
        await UserRepo(session).become_resident(user)
        role = RESIDENT
    await AuditRepo(session).record(
        "officer_removed", actor_id=actor_id, officer_id=officer_id, role=role
    )
    return True


# What staff receive about cases: none of it may reach someone who is no longer staff, nor
# anyone who may not see that case now (checked again as it goes out, services/delivery.py).
CASE_MESSAGE_KINDS = (
    "alert",
    "alert_detail",
    "alert_edit",
    "evidence",
    "case_reminder",
    "reporter_waiting",
    "relay",
    "dead_letter",
    "case_card",  # services/case_views.py
    "case_card_edit",
    "case_read",  # services/case_reading.py
)


async def withdraw_case_rights(
    session: AsyncSession, user_id: int, policy: AlertPolicy, now: datetime, *, actor_id: int | None
) -> list[str]:
    """After a role was taken away (a coordinator no more): the open cases they took and may
    no longer see go back to their kelurahan, as for an officer removed, and what was queued
    for them about such cases stays unsent. A coordinator who stays an officer keeps what an
    officer of their area may see. Returns the codes handed back."""
    codes = await hand_back_cases(
        session, user_id, policy, now, actor_id=actor_id, unseen_only=True
    )
    await case_access.cancel_unseen(session, CASE_MESSAGE_KINDS, chat_id=user_id)
    return codes


async def demote_coordinator(
    session: AsyncSession, user_id: int, policy: AlertPolicy, now: datetime, *, actor_id: int | None
) -> tuple[User | None, list[str]]:
    """Take the coordinator role away (roles.demote) and with it the cases they may no longer
    see; the user (None if unknown) and the codes handed back."""
    user = await demote(session, user_id, actor_id=actor_id)
    if user is None or user.role == COORDINATOR:
        return user, []
    return user, await withdraw_case_rights(session, user_id, policy, now, actor_id=actor_id)


class RoleChange(StrEnum):
    """What a press on "make coordinator" or "end coordinator role" came to."""

    DONE = "done"
    ALREADY = "already"  # pressed twice, or someone else was quicker
    NOT_STAFF = "not_staff"  # no longer on the officer list
    # A coordinator cannot end their own role: another one must (so nobody locks the service
    # out of its last coordinator by a slip of the thumb).
    OWN_ROLE = "own_role"


async def make_coordinator(
    session: AsyncSession, officer_id: int, *, actor_id: int, now: datetime
) -> RoleChange:
    """An officer becomes a coordinator too (keeping their kelurahan), and is told so."""
    user = await session.get(User, officer_id)
    if user is None or user.role not in (OFFICER, COORDINATOR):
        return RoleChange.NOT_STAFF
    if user.role == COORDINATOR:
        return RoleChange.ALREADY
    await promote(session, officer_id, actor_id=actor_id)
    _ = translator(user.language)
    text = _(
        "⭐ You are now a coordinator of Lapor Aman, besides an officer. You can invite "
        "officers (/undang), manage them (/petugas) and the duty roster (/jadwal), send "
        "awareness messages (/siaran), and see statistics (/statistik) and exports (/ekspor). "
        "Escalated reports and the daily digest will come to you too."
    )
    await _tell(session, officer_id, text, f"role:{officer_id}:{COORDINATOR}:{now.timestamp()}")
    return RoleChange.DONE


async def end_coordinator(
    session: AsyncSession,
    coordinator_id: int,
    policy: AlertPolicy,
    *,
    actor_id: int,
    now: datetime,
) -> tuple[RoleChange, list[str]]:
    """A coordinator who serves a kelurahan goes back to being an officer, and is told so; the
    cases they took outside what an officer of their area may see go back (their codes)."""
    if coordinator_id == actor_id:
        return RoleChange.OWN_ROLE, []
    user = await session.get(User, coordinator_id)
    if user is None or user.role not in (OFFICER, COORDINATOR):
        return RoleChange.NOT_STAFF, []
    if user.role != COORDINATOR:
        return RoleChange.ALREADY, []
    _, codes = await demote_coordinator(session, coordinator_id, policy, now, actor_id=actor_id)
    _ = translator(user.language)
    if user.role == OFFICER:
        text = _(
            "You are no longer a coordinator of Lapor Aman. You remain an officer of your "
            "kelurahan: /piket and /kasus work as before."
        )
    else:
        text = _("You are no longer a coordinator of Lapor Aman.")
    await _tell(
        session, coordinator_id, text, f"role:{coordinator_id}:{user.role}:{now.timestamp()}"
    )
    return RoleChange.DONE, codes


async def _tell(session: AsyncSession, user_id: int, text: str, key: str) -> None:
    # Through the outbox: a person who blocked the bot must not undo the change (a 403).
    await outbox.enqueue(
        session,
        chat_id=user_id,
        payload=outbox.message(text),
        kind="role_notice",
        lane=outbox.Lane.NOTICE,
        dedupe_key=key,
    )


__all__ = [
    "OfficerView",
    "RoleChange",
    "add_kelurahan",
    "demote_coordinator",
    "end_coordinator",
    "get_officer",
    "list_officers",
    "make_coordinator",
    "remove_kelurahan",
    "remove_officer",
    "withdraw_case_rights",
]
