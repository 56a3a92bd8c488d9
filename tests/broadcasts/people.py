"""The people of the broadcast tests, and reading a broadcast's state from the database.

Everybody switches to English with /bahasa first: the broadcast texts are new and not
translated yet, and the English catalog is the msgids themselves, so these tests keep passing
once the Indonesian translations arrive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

from sqlalchemy import insert, select

from playground.emulator import BotAPIEmulator, BotMessage, SimulatedUser
from services import broadcasts
from services.broadcast_texts import Counts
from storage.identity import pseudonym
from storage.models import Broadcast, Subscription, User, utcnow
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.fixtures.people import stored_user
from tests.staff.people import Person

__all__ = ["COORDINATOR_ID", "Person"]


async def coordinator(emulator: BotAPIEmulator) -> Person:
    return await Person.english(emulator, COORDINATOR_ID, "Koordinator")


async def compose(person: Person, send: Callable[[SimulatedUser], Awaitable[object]]) -> None:
    """/siaran, then the message (sent by `send`); ends at the audience question."""
    await person.command("/siaran", expect="New broadcast")
    await send(person.user)
    await person.user.wait_for("Who should receive it?")


async def choose(person: Person, *buttons: str) -> BotMessage:
    """Tap through the audience buttons; returns the summary under the preview."""
    for text in buttons:
        await person.press(text)
    return await person.user.wait_for("This is exactly how recipients will see the message.")


async def add_subscribers(
    bot: RunningBot,
    emulator: BotAPIEmulator,
    user_ids: Iterable[int],
    kelurahan_id: int | None = None,
) -> list[SimulatedUser]:
    """Residents who subscribed earlier, written straight into the database (fast in bulk)."""
    ids = list(user_ids)
    now = utcnow()
    async with bot.service.session_factory() as session, session.begin():
        # As the bot keeps residents: by pseudonym, the chat encrypted (storage/identity.py).
        await session.execute(
            insert(User),
            [
                {"id": pseudonym(i), "role": "resident", "created_at": now, "chat": str(i)}
                for i in ids
            ],
        )
        await session.execute(
            insert(Subscription),
            [
                {
                    "user_id": pseudonym(i),
                    "kelurahan_id": kelurahan_id,
                    "active": True,
                    "subscribed_at": now,
                }
                for i in ids
            ],
        )
    return [emulator.user(i, first_name=f"W{i}") for i in ids]


async def subscribed(bot: RunningBot, user_id: int) -> bool:
    async with bot.service.session_factory() as session:
        user = await stored_user(session, user_id)
        row = await session.get(Subscription, user.id) if user is not None else None
        return row is not None and row.active


async def latest_broadcast(bot: RunningBot) -> Broadcast:
    async with bot.service.session_factory() as session:
        row = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()).limit(1))
        assert row is not None
        return row


async def counts(bot: RunningBot, broadcast_id: int) -> Counts:
    async with bot.service.session_factory() as session:
        return await broadcasts.counts(session, broadcast_id)


def copies_to(emulator: BotAPIEmulator, chat_id: int) -> int:
    """copyMessage calls Telegram accepted for this chat."""
    return sum(
        1
        for call in emulator.calls_of("copyMessage")
        if call.ok and int(call.params.get("chat_id", 0)) == chat_id
    )


def received(user: SimulatedUser) -> list[BotMessage]:
    """Broadcast copies in the user's chat (copied messages only)."""
    return [m for m in user.chat.bot_messages() if m.copied_from is not None]


HOUR = timedelta(hours=1)
