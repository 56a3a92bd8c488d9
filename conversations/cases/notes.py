"""The Note button: the case owner writes a note (stored encrypted, audit-logged)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import CasePress
from conversations.filters import NOT_A_COMMAND, TEXT
from conversations.options import ConversationOptions
from services import case_buttons as cb
from services.cases import NotAllowed, add_note
from storage.repositories import Repo

MAX_NOTE = 3000


class NoteForm(StatesGroup):
    text = State()


async def ask_note(_event: CallbackQuery, case: CasePress, state: FSMContext) -> None:
    report = await case.changeable("note_refused")
    if report is None:
        return
    await state.set_state(NoteForm.text)
    await state.update_data(report_id=report.id)
    await replies.answer(case.callback)
    await replies.send(
        case.bot,
        case.user_id,
        _("Write the note for case <code>{code}</code> (or /batal to stop).").format(
            code=report.code
        ),
    )


async def note_written(
    message: Message, repo: Repo, state: FSMContext, options: ConversationOptions
) -> None:
    assert message.from_user is not None
    text = (message.text or "").strip()
    if not text or len(text) > MAX_NOTE:
        await replies.reply(
            message, _("Please write a note of up to {limit} characters.").format(limit=MAX_NOTE)
        )
        return
    report_id = int((await state.get_data()).get("report_id", 0))
    try:
        await add_note(
            repo.session,
            report_id,
            message.from_user.id,
            text,
            options.clock.now(),
            options.timezone,
        )
    except NotAllowed:
        await state.clear()
        await replies.reply(message, _("You are not allowed to do this."))
        return
    await state.clear()
    await replies.reply(message, _("📝 Note saved. The case card's 🗒 Notes shows all notes."))


async def note_expected(message: Message) -> None:
    await replies.reply(message, _("Please write the note as text, or send /batal to stop."))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(ask_note, CaseCb.filter(F.action == cb.NOTE))
    router.message.register(note_written, StateFilter(NoteForm.text), TEXT, NOT_A_COMMAND)
    router.message.register(note_expected, StateFilter(NoteForm.text), NOT_A_COMMAND)
    return router
