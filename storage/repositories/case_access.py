"""Who may see a case now, as SQL: for one person (services/cases.may_see) and for the case
messages a sender is about to deliver (services/delivery.py), so both read one rule.

A coordinator may see every case; an officer a case they were alerted to, while they serve a
kelurahan of its kecamatan (its own kelurahan or, none being on duty there, the routing's
fallback); anyone else none.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Alert, Kelurahan, OfficerArea, OutboxMessage, Report, User

COORDINATOR = "coordinator"
OFFICER = "officer"


def sees(
    report_id: ColumnExpressionArgument[int],
    kelurahan_id: ColumnExpressionArgument[int],
    user_id: ColumnExpressionArgument[int] | ColumnExpressionArgument[int | None],
) -> ColumnElement[bool]:
    """True when `user_id` may see the case `report_id` (of kelurahan `kelurahan_id`); never
    NULL (someone with no user row may see nothing)."""
    role = func.coalesce(select(User.role).where(User.id == user_id).scalar_subquery(), "")
    alerted = exists().where(Alert.report_id == report_id, Alert.recipient_id == user_id)
    # One level of subquery, its tables joined in it: a subquery nested deeper would not be
    # correlated with the case of the outer row (each outbox row has its own).
    theirs, of_case = aliased(Kelurahan), aliased(Kelurahan)
    serving = exists().where(
        OfficerArea.officer_id == user_id,
        OfficerArea.kelurahan_id == theirs.id,
        of_case.id == kelurahan_id,
        theirs.kecamatan_id == of_case.kecamatan_id,
    )
    return or_(role == COORDINATOR, and_(role == OFFICER, alerted, serving))


# Built once: asked for every case button pressed.
_MAY_SEE = select(sees(bindparam("report_id"), bindparam("kelurahan_id"), bindparam("user_id")))


async def may_see(session: AsyncSession, report_id: int, kelurahan_id: int, user_id: int) -> bool:
    found = await session.scalar(
        _MAY_SEE, {"report_id": report_id, "kelurahan_id": kelurahan_id, "user_id": user_id}
    )
    return bool(found)


# Built once: the sender asks before every wave with a case message in it.
_UNSEEN = (
    select(OutboxMessage.id)
    .join(Report, Report.id == OutboxMessage.report_id)
    .where(
        OutboxMessage.status == "pending",
        OutboxMessage.kind.in_(bindparam("kinds", expanding=True)),
        ~sees(Report.id, Report.kelurahan_id, OutboxMessage.recipient_id),
    )
)
_UNSEEN_OF_ROWS = _UNSEEN.where(OutboxMessage.id.in_(bindparam("row_ids", expanding=True)))
_UNSEEN_FOR_CHAT = _UNSEEN.where(
    OutboxMessage.recipient_id == bindparam("chat_id"), OutboxMessage.claimed_until.is_(None)
)


async def cancel_unseen(
    session: AsyncSession,
    kinds: Collection[str],
    *,
    row_ids: Collection[int] | None = None,
    chat_id: int | None = None,
) -> list[int]:
    """Cancel the pending case messages (of `kinds`) whose recipient may not see their case
    now: among `row_ids` (claimed by a sender, about to go out), or else all unclaimed ones
    queued for `chat_id`. Returns the ids cancelled."""
    if row_ids is not None:
        found = await session.scalars(
            _UNSEEN_OF_ROWS, {"kinds": list(kinds), "row_ids": list(row_ids)}
        )
    else:
        found = await session.scalars(_UNSEEN_FOR_CHAT, {"kinds": list(kinds), "chat_id": chat_id})
    ids = list(found)
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status="cancelled", claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
    return ids
