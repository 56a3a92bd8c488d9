"""Senders wired to the emulator over real HTTP, with short backoffs so outages take
milliseconds, and a hooks object that records what the sender reported."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot
from bot.sending import RetryPolicy, Sender
from bot.sending.budget import SenderLimits
from playground.emulator import BotAPIEmulator, Call
from services import outbox
from services.clock import SystemClock
from storage.models import OutboxMessage
from storage.repositories.outbox import OutboxRow
from tests.fixtures.bot import make_settings

Sessions = async_sessionmaker[AsyncSession]
# people(user_id): the chat id of a user the emulator knows (the `people` fixture).
People = Callable[[int], int]
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=4)


@dataclass
class RecordingHooks:
    """DeliveryHooks that remember every call: (row id, message id), row ids, (row id, reason)."""

    delivered_rows: list[tuple[int, int]] = field(default_factory=list)
    unreachable_rows: list[int] = field(default_factory=list)
    dead_rows: list[tuple[int, str]] = field(default_factory=list)
    # How many rows the hook found sent with the same message (a combined alert has several).
    sharing_message: list[int] = field(default_factory=list)

    async def withheld(self, session: AsyncSession, rows: list[OutboxRow]) -> set[int]:
        return set()

    async def delivered(self, session: AsyncSession, row: OutboxRow, message_id: int) -> None:
        self.delivered_rows.append((row.id, message_id))
        # (Not by recipient: these tests' chats are nobody's staff, and a resident's sent
        # row no longer names them.)
        sharing = await session.scalar(
            select(func.count()).where(
                OutboxMessage.result_message_id == message_id,
                OutboxMessage.status == "sent",
            )
        )
        self.sharing_message.append(int(sharing or 0))

    async def unreachable(self, session: AsyncSession, row: OutboxRow) -> None:
        self.unreachable_rows.append(row.id)

    async def dead(self, session: AsyncSession, row: OutboxRow, reason: str) -> None:
        self.dead_rows.append((row.id, reason))


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()


@pytest.fixture
async def telegram_bot(
    emulator: BotAPIEmulator, database_url: str, session_factory: Sessions
) -> AsyncIterator[Bot]:
    """The bot exactly as bot/app.py builds it, retry middleware included: the sender must
    see every 429 itself."""
    bot = create_bot(make_settings(emulator, database_url), session_factory)
    try:
        yield bot
    finally:
        await bot.session.close()


SenderFactory = Callable[..., Sender]


@pytest.fixture
async def make_sender(
    telegram_bot: Bot, session_factory: Sessions, hooks: RecordingHooks
) -> AsyncIterator[SenderFactory]:
    made: list[Sender] = []

    def factory(**overrides: Any) -> Sender:
        options: dict[str, Any] = {
            "limits": SenderLimits(),
            "retry": FAST_RETRY,
            "idle_poll": 0.05,
            "stop_timeout": 5.0,
        }
        options.update(overrides)
        clock = options.pop("clock", None) or SystemClock()
        sender = Sender(telegram_bot, session_factory, hooks, clock, **options)
        made.append(sender)
        return sender

    try:
        yield factory
    finally:
        for sender in made:
            await sender.stop()


def alert_payload(number: int) -> dict[str, object]:
    """An officer's alert for report K<number>, with its Terima button (first line its title)."""
    keyboard = {
        "inline_keyboard": [[{"text": f"Terima K{number}", "callback_data": f"take:{number}"}]]
    }
    return outbox.message(f"<b>Laporan K{number}</b>\n{'isi ' * 10}", keyboard)


async def queue(
    sessions: Sessions,
    chat_id: int,
    text: str,
    *,
    lane: int = outbox.Lane.NOTICE,
    kind: str = "notice",
    payload: dict[str, Any] | None = None,
) -> int:
    async with sessions() as session, session.begin():
        new_id = await outbox.enqueue(
            session,
            chat_id=chat_id,
            payload=payload or outbox.message(text),
            kind=kind,
            lane=lane,
            dedupe_key=f"{kind}:{chat_id}:{text}",
        )
    assert new_id is not None
    return new_id


async def rows(sessions: Sessions) -> dict[int, OutboxMessage]:
    async with sessions() as session:
        return {row.id: row for row in await session.scalars(select(OutboxMessage))}


async def all_settled(sessions: Sessions) -> bool:
    return all(row.status != "pending" for row in (await rows(sessions)).values())


def delivered_texts(emu: BotAPIEmulator, chat_id: int | None = None) -> list[str]:
    """Texts of the messages Telegram accepted, in the order it accepted them."""
    return [
        str(call.params["text"])
        for call in delivered_calls(emu, "sendMessage")
        if chat_id is None or call.params.get("chat_id") == chat_id
    ]


def delivered_calls(emu: BotAPIEmulator, method: str) -> list[Call]:
    return [call for call in emu.calls_of(method) if call.ok]


@pytest.fixture
def people(emulator: BotAPIEmulator) -> Iterator[Callable[[int], int]]:
    """Makes the emulator know a user (so messages to them can arrive); returns the chat id."""

    def person(user_id: int) -> int:
        emulator.user(user_id, f"User {user_id}")
        return user_id

    yield person
