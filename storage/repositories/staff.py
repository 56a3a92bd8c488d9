"""Officers' kelurahan and roles: who is staff and where they serve."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Kelurahan, OfficerArea, User
from storage.repositories.users import UserRepo

STAFF_ROLES = ("officer", "coordinator")


# session.info key: staff rows read in this session, kept alive for session.get().
_KEPT = "staff_rows_read"


# Built once: routing asks it for every report.
_SERVING = (
    select(User)
    .where(
        User.id.in_(
            select(OfficerArea.officer_id).where(
                OfficerArea.kelurahan_id.in_(bindparam("kelurahan_ids", expanding=True))
            )
        ),
        User.role.in_(STAFF_ROLES),
    )
    .order_by(User.id)
)


class StaffRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(self, user_id: int, role: str) -> tuple[User, bool]:
        """The staff row of a Telegram id, made with `role` when they were not staff (a
        resident's row moves there: storage/repositories/users.py); True if made."""
        return await UserRepo(self._session).become_staff(user_id, role)

    async def ids_with_role(self, role: str) -> list[int]:
        rows = await self._session.scalars(
            select(User.id).where(User.role == role).order_by(User.id)
        )
        return list(rows)

    async def officers(self) -> list[User]:
        """Users with the officer role, and coordinators who also serve a kelurahan."""
        serving = select(OfficerArea.officer_id)
        rows = await self._session.scalars(
            select(User)
            .where(
                or_(
                    User.role == "officer",
                    (User.role == "coordinator") & User.id.in_(serving),
                )
            )
            .order_by(User.id)
        )
        return list(rows)

    async def areas_of(self, officer_id: int) -> list[int]:
        rows = await self._session.scalars(
            select(OfficerArea.kelurahan_id)
            .where(OfficerArea.officer_id == officer_id)
            .order_by(OfficerArea.kelurahan_id)
        )
        return list(rows)

    async def areas_by_officer(self, officer_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(officer_ids)
        result: dict[int, list[int]] = {officer_id: [] for officer_id in ids}
        if not ids:
            return result
        rows = await self._session.execute(
            select(OfficerArea.officer_id, OfficerArea.kelurahan_id)
            .where(OfficerArea.officer_id.in_(ids))
            .order_by(OfficerArea.officer_id, OfficerArea.kelurahan_id)
        )
        for officer_id, kelurahan_id in rows:
            result[officer_id].append(kelurahan_id)
        return result

    async def serving(self, kelurahan_ids: Iterable[int]) -> list[User]:
        """Staff bound to any of these kelurahan (whatever their duty)."""
        ids = list(kelurahan_ids)
        if not ids:
            return []
        staff = list(await self._session.scalars(_SERVING, {"kelurahan_ids": ids}))
        # The session's identity map holds rows weakly: callers keep ids, and each alert then
        # read its officer again for the language. Held until the session ends.
        self._session.info.setdefault(_KEPT, []).extend(staff)
        return staff

    async def serving_kecamatan(self, kecamatan_id: int) -> list[tuple[User, set[int]]]:
        """Staff bound to a kelurahan of this kecamatan, each with those kelurahan (whatever
        their duty), by id."""
        rows = await self._session.execute(
            select(User, OfficerArea.kelurahan_id)
            .join(OfficerArea, OfficerArea.officer_id == User.id)
            .join(Kelurahan, Kelurahan.id == OfficerArea.kelurahan_id)
            .where(Kelurahan.kecamatan_id == kecamatan_id, User.role.in_(STAFF_ROLES))
            .order_by(User.id)
        )
        found: dict[int, tuple[User, set[int]]] = {}
        for user, kelurahan_id in rows:
            found.setdefault(user.id, (user, set()))[1].add(kelurahan_id)
        return list(found.values())

    async def bind(self, officer_id: int, kelurahan_id: int) -> bool:
        """Bind the officer to the kelurahan; False when they already were."""
        existing = await self._session.scalar(
            select(OfficerArea.id).where(
                OfficerArea.officer_id == officer_id, OfficerArea.kelurahan_id == kelurahan_id
            )
        )
        if existing is not None:
            return False
        self._session.add(OfficerArea(officer_id=officer_id, kelurahan_id=kelurahan_id))
        await self._session.flush()
        return True

    async def unbind(self, officer_id: int, kelurahan_id: int) -> bool:
        result = await self._session.execute(
            delete(OfficerArea).where(
                OfficerArea.officer_id == officer_id, OfficerArea.kelurahan_id == kelurahan_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def unbind_all(self, officer_id: int) -> None:
        await self._session.execute(delete(OfficerArea).where(OfficerArea.officer_id == officer_id))
