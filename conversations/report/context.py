"""What every step handler of the report needs, gathered once per update."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.fsm.context import FSMContext

from conversations import replies
from conversations.options import ConversationOptions
from conversations.report import flow, live
from services.gazetteer import Gazetteer
from services.report_draft import Draft
from storage.repositories import Repo


@dataclass
class StepContext:
    bot: Bot
    chat_id: int
    user_id: int
    language: str
    state: FSMContext
    draft: Draft
    step: str
    gazetteer: Gazetteer
    options: ConversationOptions
    repo: Repo

    async def advance(self) -> None:
        await flow.advance(
            self.bot, self.chat_id, self.state, self.draft, self.step, self.gazetteer
        )

    async def show(self, step: str) -> None:
        await flow.show_step(self.bot, self.chat_id, self.state, self.draft, step, self.gazetteer)

    async def back(self) -> None:
        if not await flow.step_back(
            self.bot, self.chat_id, self.state, self.draft, self.step, self.gazetteer
        ):
            await self.show(self.step)

    async def save(self) -> None:
        await flow.save_draft(self.state, self.draft)

    async def say(self, text: str, **kwargs: object) -> None:
        """A message without the report's buttons (those go through `post`)."""
        await replies.send(self.bot, self.chat_id, text, **kwargs)

    async def post(self, text: str, markup: live.Markup | None) -> None:
        """A message with the report's buttons: from now on the only one that has them."""
        await live.post(self.bot, self.chat_id, text, markup)
