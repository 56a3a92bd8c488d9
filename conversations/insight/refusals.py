"""What a person without the coordinator role gets: a clear no, an audit entry, nothing shown.

Registered after the real handlers, so a command, button or typed period reaches these only
when the role filter said no (a coordinator demoted meanwhile included).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.filters import NOT_A_COMMAND
from conversations.insight.callbacks import InsightCb
from conversations.insight.states import InsightForm
from storage.repositories import Repo


async def command_refused(message: Message, command: CommandObject, repo: Repo) -> None:
    await _record(repo, message.from_user.id if message.from_user else None, command.command)
    await replies.reply(
        message,
        _("Sorry, /{command} is only for coordinators of the service.").format(
            command=command.command
        ),
    )


async def button_refused(callback: CallbackQuery, repo: Repo) -> None:
    await _record(repo, callback.from_user.id, "button")
    await replies.answer(
        callback, _("Sorry, this is only for coordinators of the service."), show_alert=True
    )


async def answer_refused(message: Message, repo: Repo, state: FSMContext) -> None:
    await state.clear()
    await _record(repo, message.from_user.id if message.from_user else None, "form")
    await replies.reply(message, _("Sorry, this is only for coordinators of the service."))


async def _record(repo: Repo, user_id: int | None, what: str) -> None:
    # Never what they typed: only who tried and which door.
    await repo.audit.record("insight_refused", actor_id=user_id, what=what)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(command_refused, Command("statistik", "ekspor"))
    router.callback_query.register(button_refused, InsightCb.filter())
    router.message.register(answer_refused, StateFilter(InsightForm.period), NOT_A_COMMAND)
    return router
