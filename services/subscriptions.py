"""Awareness messages are opt-in: a resident subscribes by asking, and only by asking.

`user_id` is the id the user's row is kept under (a resident's pseudonym:
storage/identity.py), as handlers have it in `db_user.id`.

Blocking the bot unsubscribes (whether we learn it from a 403 or from Telegram's
my_chat_member update); unblocking does not subscribe again: the person has to ask again
with /langganan, because a block is the clearest "stop" there is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.identity import day
from storage.models import Subscription
from storage.repositories.audit import AuditRepo
from storage.repositories.subscriptions import SubscriptionRepo
from storage.repositories.users import UserRepo


async def current(session: AsyncSession, user_id: int) -> Subscription | None:
    """The user's active subscription, if any."""
    return await SubscriptionRepo(session).active(user_id)


async def current_of_chat(session: AsyncSession, chat_id: int) -> Subscription | None:
    """The same, by the private chat's Telegram id (the person's rows may name them by
    pseudonym)."""
    return await current(session, await UserRepo(session).key_of(chat_id))


async def subscribe(
    session: AsyncSession,
    user_id: int,
    now: datetime,
    *,
    kelurahan_id: int | None = None,
    keep_place: bool = False,
) -> Subscription:
    """Subscribe, or change the kelurahan; `keep_place` keeps one chosen before."""
    subscription = await SubscriptionRepo(session).subscribe(
        user_id, kelurahan_id, day(now), keep_place=keep_place
    )
    # No kelurahan in the log: where someone lives is personal data.
    await AuditRepo(session).record("subscribed", actor_id=user_id)
    return subscription


async def unsubscribe(session: AsyncSession, user_id: int, now: datetime, *, reason: str) -> bool:
    """Stop awareness messages; True if the user was subscribed. `reason`: "asked",
    "blocked" (my_chat_member) or "unreachable" (a 403 from the sender)."""
    stopped = await SubscriptionRepo(session).unsubscribe(user_id, day(now))
    if stopped:
        await AuditRepo(session).record("unsubscribed", actor_id=user_id, reason=reason)
    return stopped
