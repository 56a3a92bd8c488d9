"""What a resident or officer gets from /siaran or a broadcast button: a clear no, an audit
entry (the same "staff_access_refused" as the other staff commands), and nothing changed.

Registered after the broadcast handlers: these only see what the role filter refused.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.broadcasts.callbacks import BROADCAST_CALLBACKS
from conversations.broadcasts.states import BroadcastForm
from conversations.filters import NOT_A_COMMAND
from services.roles import COORDINATOR
from storage.repositories import Repo


class BroadcastButton(Filter):
    """Any broadcast button, whatever it claims to do (a forged one included)."""

    async def __call__(self, callback: CallbackQuery) -> bool:
        data = callback.data or ""
        return any(
            data.startswith(f"{cb.__prefix__}{cb.__separator__}") for cb in BROADCAST_CALLBACKS
        )


async def broadcast_command(message: Message, command: CommandObject, repo: Repo) -> None:
    await _record(repo, message.from_user.id if message.from_user else None, command.command)
    await replies.reply(
        message,
        _("Sorry, /{command} is only for coordinators of the service.").format(
            command=command.command
        ),
    )


async def broadcast_button(callback: CallbackQuery, repo: Repo) -> None:
    prefix = (callback.data or "").split(":", 1)[0]
    await _record(repo, callback.from_user.id, f"button:{prefix}")
    await replies.answer(
        callback, _("Sorry, this is only for coordinators of the service."), show_alert=True
    )


async def broadcast_answer(message: Message, repo: Repo, state: FSMContext) -> None:
    """Something sent into the wizard by a person who lost the coordinator role meanwhile."""
    await state.clear()
    await _record(repo, message.from_user.id if message.from_user else None, "siaran:form")
    await replies.reply(message, _("Sorry, this is only for coordinators of the service."))


async def _record(repo: Repo, user_id: int | None, what: str) -> None:
    await repo.audit.record("staff_access_refused", actor_id=user_id, what=what, needed=COORDINATOR)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(broadcast_command, Command("siaran"))
    router.callback_query.register(broadcast_button, BroadcastButton())
    router.message.register(broadcast_answer, StateFilter(BroadcastForm), NOT_A_COMMAND)
    return router
