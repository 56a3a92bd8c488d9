"""Moving through the report: load and save the draft, show a step, go forward or back.

Every handler of the report ends in one of these functions, so the rules of movement live in
one place (and in services/report_draft.py, which decides the order of steps).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.report import keyboards as kb
from conversations.report import live
from conversations.report.questions import Prompt, question
from conversations.report.states import STATE_OF_STEP, step_of
from conversations.report.summary import edit_prompt, summary_prompt
from services.gazetteer import Gazetteer
from services.report_draft import Draft, enter, go_back, next_step

DRAFT_KEY = "draft"


async def load_draft(state: FSMContext) -> Draft:
    data = await state.get_data()
    return Draft.from_dict(data.get(DRAFT_KEY))


async def save_draft(state: FSMContext, draft: Draft) -> None:
    await state.update_data({DRAFT_KEY: draft.to_dict()})


async def current_step(state: FSMContext) -> str | None:
    return step_of(await state.get_state())


def prompt_of(step: str, draft: Draft, gazetteer: Gazetteer) -> Prompt:
    """What `step` shows: its question, the summary or the "what to change" menu."""
    if step == "summary":
        return summary_prompt(draft, gazetteer)
    if step == "edit":
        return edit_prompt()
    return question(step, draft, gazetteer)


async def show_step(
    bot: Bot, chat_id: int, state: FSMContext, draft: Draft, step: str, gazetteer: Gazetteer
) -> None:
    """Make `step` the current one and ask its question (the only one with buttons)."""
    await state.set_state(STATE_OF_STEP[step])
    await save_draft(state, draft)
    prompt = prompt_of(step, draft, gazetteer)
    await live.post(bot, chat_id, prompt.text, prompt.markup)


async def advance(
    bot: Bot, chat_id: int, state: FSMContext, draft: Draft, current: str, gazetteer: Gazetteer
) -> None:
    """The current step is answered: on to the next one (or back to the summary)."""
    target = next_step(draft, current)
    enter(draft, current, target)
    await show_step(bot, chat_id, state, draft, target, gazetteer)


async def step_back(
    bot: Bot, chat_id: int, state: FSMContext, draft: Draft, current: str, gazetteer: Gazetteer
) -> bool:
    """Show the previous step; False when there is none (the first question)."""
    target = go_back(draft, current)
    if target is None:
        return False
    await show_step(bot, chat_id, state, draft, target, gazetteer)
    return True


async def reprompt(bot: Bot, chat_id: int, state: FSMContext, gazetteer: Gazetteer) -> None:
    """Ask the current question again (after a side command or unexpected input)."""
    step = await current_step(state)
    if step is None:
        return
    draft = await load_draft(state)
    await show_step(bot, chat_id, state, draft, step, gazetteer)


def confirm_cancel_text() -> str:
    return _(
        "<b>Throw away this report?</b>\n"
        "Your answers so far will be deleted and nothing will be sent."
    )


def confirm_cancel_keyboard(step: str) -> InlineKeyboardMarkup:
    """Yes or no, on the buttons of the step the question was asked at."""
    return kb.choices(
        step,
        [(kb.DISCARD, _("🗑 Yes, throw it away")), (kb.KEEP, _("↩️ No, go on"))],
        back=False,
        cancel=False,
    )


async def ask_to_cancel(bot: Bot, chat_id: int, state: FSMContext) -> None:
    """/batal in the middle of a report: one tap must not throw the answers away."""
    step = await current_step(state)
    if step is None:
        return
    await live.post(bot, chat_id, confirm_cancel_text(), confirm_cancel_keyboard(step))


async def cancel_report(bot: Bot, chat_id: int, state: FSMContext) -> None:
    await state.clear()
    await replies.send(
        bot,
        chat_id,
        _(
            "The report was thrown away and nothing was sent. "
            "You can start again at any time with /lapor."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


async def acknowledge(bot: Bot, chat_id: int, text: str) -> None:
    """A short confirmation that also removes a reply keyboard (contact/location steps)."""
    await replies.send(bot, chat_id, text, reply_markup=ReplyKeyboardRemove())
