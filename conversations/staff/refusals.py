"""What a person without the role gets: a clear no, an audit entry, and nothing changed.

Registered after every staff handler: a command, button or typed answer reaches these only
when the role filter of the real handler said no. Refusals are logged with who tried and
what, never with what they typed.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.filters import NOT_A_COMMAND
from conversations.staff.callbacks import STAFF_CALLBACKS
from conversations.staff.states import StaffForm
from services.roles import COORDINATOR, OFFICER
from storage.repositories import Repo

COORDINATOR_COMMANDS = ("undang", "petugas", "jadwal")
OFFICER_COMMANDS = ("piket",)


class StaffButton(Filter):
    """Any staff button, whatever it claims to do (a forged one included)."""

    async def __call__(self, callback: CallbackQuery) -> bool:
        data = callback.data or ""
        return any(data.startswith(f"{cb.__prefix__}{cb.__separator__}") for cb in STAFF_CALLBACKS)


async def coordinator_command(message: Message, command: CommandObject, repo: Repo) -> None:
    await _record(repo, message.from_user.id if message.from_user else None, command.command)
    await replies.reply(
        message,
        _("Sorry, /{command} is only for coordinators of the service.").format(
            command=command.command
        ),
    )


async def officer_command(message: Message, command: CommandObject, repo: Repo) -> None:
    await _record(
        repo, message.from_user.id if message.from_user else None, command.command, OFFICER
    )
    await replies.reply(
        message,
        _(
            "Sorry, /{command} is only for officers. If you should be one, ask your "
            "coordinator for an invitation link."
        ).format(command=command.command),
    )


async def staff_button(callback: CallbackQuery, repo: Repo) -> None:
    prefix = (callback.data or "").split(":", 1)[0]
    await _record(repo, callback.from_user.id, f"button:{prefix}")
    await replies.answer(
        callback, _("Sorry, this is only for coordinators of the service."), show_alert=True
    )


async def staff_answer(message: Message, repo: Repo, state: FSMContext) -> None:
    """A typed answer for a staff form from someone who lost the role meanwhile."""
    await state.clear()
    await _record(repo, message.from_user.id if message.from_user else None, "form")
    await replies.reply(message, _("Sorry, this is only for coordinators of the service."))


async def _record(repo: Repo, user_id: int | None, what: str, needed: str = COORDINATOR) -> None:
    await repo.audit.record("staff_access_refused", actor_id=user_id, what=what, needed=needed)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(coordinator_command, Command(*COORDINATOR_COMMANDS))
    router.message.register(officer_command, Command(*OFFICER_COMMANDS))
    router.callback_query.register(staff_button, StaffButton())
    router.message.register(staff_answer, StateFilter(StaffForm), NOT_A_COMMAND)
    return router
