"""The inbox through the real bot: a clock the test moves, handlers the test holds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram import F
from aiogram.types import Message
from sqlalchemy import select

from bot.app import Service
from services.clock import ManualClock
from storage.models import InboxUpdate
from storage.repositories import inbox as inbox_rows
from tests.fixtures.bot import RunningBot
from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)


class Hold:
    """A handler that waits until the test lets it go: an update being handled."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def handler(self, message: Message) -> None:
        self.entered.set()
        await self.release.wait()
        await message.answer("held, then let go")


def hold_text(service: Service, text: str) -> Hold:
    """Messages with exactly `text` are held (the dispatcher's own handlers come before every
    conversation's, inside the update's session and transaction)."""
    hold = Hold()
    service.dispatcher.message.register(hold.handler, F.text == text)
    return hold


async def crash(running: RunningBot) -> None:
    """Stop as a killed process would: handlers cut short, claims left in the database to
    run out; then close what is left (the sender, the engine) so nothing of it lingers."""
    await running.service.inbox.stop(hand_back=False)
    await running.stop()


async def inbox(service: Service) -> list[InboxUpdate]:
    async with service.session_factory() as session:
        return list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)))


async def claimable(service: Service, clock: ManualClock) -> list[int]:
    """Update ids another instance could claim now (and, if any, claims them)."""
    async with service.session_factory() as session, session.begin():
        rows = await inbox_rows.claim(
            session,
            bot_id=service.bot.id,
            now=clock.now(),
            lease=timedelta(seconds=30),
            worker_id="probe",
            limit=10,
        )
    return [row.update_id for row in rows]
