"""Who is a coordinator, who is an officer, and moving people between those roles.

The role lives in the database (users.role) and is read again for every command and button:
a coordinator removed a minute ago must not keep acting on an old menu.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User
from storage.repositories.audit import AuditRepo
from storage.repositories.staff import StaffRepo
from storage.repositories.users import UserRepo

RESIDENT = "resident"
OFFICER = "officer"
COORDINATOR = "coordinator"


async def role_of(session: AsyncSession, user_id: int) -> str | None:
    """The stored role, or None for someone who never talked to the bot."""
    user = await session.get(User, user_id)
    return None if user is None else user.role


async def is_coordinator(session: AsyncSession, user_id: int) -> bool:
    return await role_of(session, user_id) == COORDINATOR


async def is_staff(session: AsyncSession, user_id: int) -> bool:
    """An officer or a coordinator now: who may still hear of cases."""
    return await role_of(session, user_id) in (OFFICER, COORDINATOR)


async def is_officer(session: AsyncSession, user_id: int) -> bool:
    """Acts as an officer: the officer role, or a coordinator who also serves a kelurahan."""
    role = await role_of(session, user_id)
    if role == OFFICER:
        return True
    return role == COORDINATOR and bool(await StaffRepo(session).areas_of(user_id))


async def officer_kelurahan_ids(session: AsyncSession, officer_id: int) -> list[int]:
    return await StaffRepo(session).areas_of(officer_id)


async def coordinator_ids(session: AsyncSession) -> list[int]:
    return await StaffRepo(session).ids_with_role(COORDINATOR)


async def make_officer(session: AsyncSession, user_id: int) -> tuple[User, bool]:
    """Give `user_id` the officer role (a coordinator stays coordinator); True if created."""
    user, created = await StaffRepo(session).get_or_create(user_id, OFFICER)
    if user.role != COORDINATOR:
        user.role = OFFICER
    return user, created


async def promote(session: AsyncSession, user_id: int, *, actor_id: int | None) -> User:
    """Make `user_id` a coordinator (created if unknown, e.g. added from the command line)."""
    user, _ = await StaffRepo(session).get_or_create(user_id, COORDINATOR)
    previous = user.role
    user.role = COORDINATOR
    await AuditRepo(session).record(
        "coordinator_promoted", actor_id=actor_id, user_id=user_id, previous_role=previous
    )
    return user


async def demote(session: AsyncSession, user_id: int, *, actor_id: int | None) -> User | None:
    """Take the coordinator role away: back to officer if they serve a kelurahan, else resident.

    Coordinators listed in COORDINATOR_IDS get the role back at the next start-up: remove them
    from the environment too.
    """
    user = await session.get(User, user_id)
    if user is None or user.role != COORDINATOR:
        return user
    serves = bool(await StaffRepo(session).areas_of(user_id))
    if serves:
        user.role = OFFICER
    else:
        user = await UserRepo(session).become_resident(user)
    await AuditRepo(session).record(
        "coordinator_demoted", actor_id=actor_id, user_id=user_id, new_role=user.role
    )
    return user


__all__ = [
    "COORDINATOR",
    "OFFICER",
    "RESIDENT",
    "coordinator_ids",
    "demote",
    "is_coordinator",
    "is_officer",
    "is_staff",
    "make_officer",
    "officer_kelurahan_ids",
    "promote",
    "role_of",
]
