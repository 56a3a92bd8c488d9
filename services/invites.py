"""One-time officer invitations: a coordinator makes a link, one person redeems it.

The code travels in a Telegram deep link (`/start <code>`), so it uses only the characters
Telegram allows there (A-Z a-z 0-9 _ -) and stays far below the 64-character limit. It is the
only secret that makes someone an officer, hence 128 random bits and a short life; only its
SHA-256 hash is stored, so a copy of the database cannot be turned into working links.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from services.roles import make_officer
from storage.models import Kelurahan
from storage.repositories.audit import AuditRepo
from storage.repositories.invites import InviteRepo
from storage.repositories.staff import StaffRepo

INVITE_LIFETIME = timedelta(hours=48)
# token_urlsafe(16) gives 22 characters; the pattern also bounds what we bother hashing.
_CODE_BYTES = 16
_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class Refusal(StrEnum):
    """Why a code did not work; each gets its own explanation for the person holding it."""

    UNKNOWN = "unknown"  # never issued (mistyped, cut off or forged)
    USED = "used"
    # Used, by this very person, who still serves there: refused all the same (a link works
    # once), but they need to hear that they are in, not to ask for a new link.
    USED_BY_YOU = "used_by_you"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class NewInvite:
    code: str
    kelurahan_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Redeemed:
    kelurahan_id: int
    role: str
    already_bound: bool


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal
    # For USED_BY_YOU: where they serve.
    kelurahan_id: int | None = None


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


async def create_invite(
    session: AsyncSession, *, kelurahan_id: int, created_by: int, now: datetime
) -> NewInvite:
    """A fresh code for `kelurahan_id`; the caller shows it once and it is never stored."""
    if await session.get(Kelurahan, kelurahan_id) is None:
        raise ValueError(f"unknown kelurahan {kelurahan_id}")
    code = secrets.token_urlsafe(_CODE_BYTES)
    expires_at = now + INVITE_LIFETIME
    invite = await InviteRepo(session).add(
        code_hash=code_hash(code),
        kelurahan_id=kelurahan_id,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
    )
    await AuditRepo(session).record(
        "invite_created", actor_id=created_by, invite_id=invite.id, kelurahan_id=kelurahan_id
    )
    return NewInvite(code=code, kelurahan_id=kelurahan_id, expires_at=expires_at)


async def redeem_invite(
    session: AsyncSession,
    code: str,
    *,
    user_id: int,
    display_name: str | None,
    now: datetime,
) -> Redeemed | Refused:
    """Bind `user_id` as officer of the invite's kelurahan, or say why the code is refused."""
    audit = AuditRepo(session)
    code = code.strip()
    invite = None
    if _CODE_SHAPE.fullmatch(code):
        invite = await InviteRepo(session).by_hash(code_hash(code))
    if invite is None:
        await audit.record("invite_refused", actor_id=user_id, reason=Refusal.UNKNOWN.value)
        return Refused(Refusal.UNKNOWN)
    # Used is checked before expired: "someone already used this link" is the more useful news.
    if invite.used_at is not None:
        reason = Refusal.USED
        if invite.used_by == user_id and invite.kelurahan_id in await StaffRepo(session).areas_of(
            user_id
        ):
            await audit.record(
                "invite_refused",
                actor_id=user_id,
                invite_id=invite.id,
                reason=Refusal.USED_BY_YOU.value,
            )
            return Refused(Refusal.USED_BY_YOU, invite.kelurahan_id)
    elif invite.expires_at <= now:
        reason = Refusal.EXPIRED
    elif not await InviteRepo(session).claim(invite.id, user_id, now):
        reason = Refusal.USED
    else:
        return await _bind(session, invite.id, invite.kelurahan_id, user_id, display_name)
    await audit.record("invite_refused", actor_id=user_id, invite_id=invite.id, reason=reason.value)
    return Refused(reason)


async def _bind(
    session: AsyncSession,
    invite_id: int,
    kelurahan_id: int,
    user_id: int,
    display_name: str | None,
) -> Redeemed:
    user, _ = await make_officer(session, user_id)
    if display_name:
        # The name colleagues see on "taken by ..."; Telegram's, refreshed on each invite.
        user.display_name = display_name.strip()[:64]
    newly_bound = await StaffRepo(session).bind(user_id, kelurahan_id)
    await AuditRepo(session).record(
        "invite_redeemed", actor_id=user_id, invite_id=invite_id, kelurahan_id=kelurahan_id
    )
    return Redeemed(kelurahan_id=kelurahan_id, role=user.role, already_bound=not newly_bound)


__all__ = [
    "INVITE_LIFETIME",
    "NewInvite",
    "Redeemed",
    "Refusal",
    "Refused",
    "code_hash",
    "create_invite",
    "redeem_invite",
]
