"""Moving through the report: load and save the draft, show a step, go forward or back.

Every handler of the report ends in one of these functions, so the rules of movement live in
one place (and in services/report_draft.py, which decides the order of steps).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.report.questions import question
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


async def show_step(
    bot: Bot, chat_id: int, state: FSMContext, draft: Draft, step: str, gazetteer: Gazetteer
) -> None:
    """Make `step` the current one and ask its question."""
    await state.set_state(STATE_OF_STEP[step])
    await save_draft(state, draft)
    if step == "summary":
        prompt = summary_prompt(draft, gazetteer)
    elif step == "edit":
        prompt = edit_prompt()
    else:
        prompt = question(step, draft, gazetteer)
    await replies.send(bot, chat_id, prompt.text, reply_markup=prompt.markup)


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


async def cancel_report(bot: Bot, chat_id: int, state: FSMContext) -> None:
    await state.clear()
    await replies.send(
        bot,
        chat_id,
        _(
            "The report was cancelled and nothing was saved. "
            "You can start again at any time with /lapor."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


async def acknowledge(bot: Bot, chat_id: int, text: str) -> None:
    """A short confirmation that also removes a reply keyboard (contact/location steps)."""
    await replies.send(bot, chat_id, text, reply_markup=ReplyKeyboardRemove())
