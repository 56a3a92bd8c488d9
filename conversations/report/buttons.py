"""Button presses inside the report: validate the choice, store it, move on.

A press is checked against the step it was made for: a button of an earlier question (or a
forged one) is answered and changes nothing. Only the newest message has buttons (live.py);
Cancel asks before it throws the answers away.
"""

from __future__ import annotations

import unicodedata

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import ReportCb
from conversations.report import flow
from conversations.report import keyboards as kb
from conversations.report.context import StepContext
from conversations.report.questions import DONE, SKIP
from conversations.report.states import ReportForm
from conversations.report.submit import send_report
from conversations.report.summary import CANCEL, EDIT, SEND, TO_SUMMARY
from conversations.texts import emergency_text, quote
from services.choices import (
    BORDERS,
    CATEGORIES,
    CHILD_ROLES,
    OCCURRED,
    RECRUITMENTS,
    RELATIONS,
    ages_for,
    victims_for,
)
from services.report_draft import EDIT_GROUPS, forget_other_categories, start_editing


def _without_symbols(label: str) -> str:
    """A button's words without the emoji around them: the record reads "✓ Done", not
    "✓ ✅ Done"."""
    characters = list(label)
    while characters and _decoration(characters[0]):
        characters.pop(0)
    while characters and _decoration(characters[-1]):
        characters.pop()
    return "".join(characters) or label


def _decoration(character: str) -> bool:
    # Symbols (So, Sm...), variation selectors and joiners (Mn, Cf) and spaces.
    return character.isspace() or unicodedata.category(character)[0] in "SMC"


async def _mark_chosen(ctx: StepContext, callback: CallbackQuery) -> None:
    """Replace the buttons of the answered question with the chosen answer, as a record."""
    message = callback.message
    if message is None or isinstance(message, InaccessibleMessage) or message.reply_markup is None:
        return
    chosen = next(
        (
            button.text
            for row in message.reply_markup.inline_keyboard
            for button in row
            if button.callback_data == callback.data
        ),
        None,
    )
    if chosen is None or message.html_text is None:
        return
    await replies.edit_text(
        message, f"{message.html_text}\n\n✓ <i>{quote(_without_symbols(chosen))}</i>"
    )


async def _unavailable(callback: CallbackQuery) -> None:
    await replies.answer(callback, _("That choice is not available. Please use the buttons shown."))


async def _stale(ctx: StepContext, callback: CallbackQuery) -> None:
    """A button of an earlier question: changes nothing, and loses its buttons (the newest
    question is the only one with buttons; it was not asked again, so the chat does not fill
    up with copies of it)."""
    await replies.answer(
        callback,
        _("This button belongs to an earlier question. Please answer the newest message."),
    )
    await replies.edit_markup(callback, ctx.bot, None)


async def _ask_to_cancel(ctx: StepContext, callback: CallbackQuery) -> None:
    """Cancel pressed: the question turns into "throw this report away?" in place."""
    await replies.answer(callback)
    message = callback.message
    text, markup = flow.confirm_cancel_text(), flow.confirm_cancel_keyboard(ctx.step)
    if message is None or isinstance(message, InaccessibleMessage) or not message.text:
        await ctx.post(text, markup)
        return
    await replies.edit_text(message, text, reply_markup=markup)


async def _keep(ctx: StepContext, callback: CallbackQuery) -> None:
    """Not thrown away: the question comes back where the "throw away?" was."""
    await replies.answer(callback, _("Your answers are kept."))
    message = callback.message
    prompt = flow.prompt_of(ctx.step, ctx.draft, ctx.gazetteer)
    can_edit = message is not None and not isinstance(message, InaccessibleMessage)
    if can_edit and isinstance(prompt.markup, InlineKeyboardMarkup):
        assert isinstance(message, Message)
        await replies.edit_text(message, prompt.text, reply_markup=prompt.markup)
        return
    # A question with a keyboard under the input field (location, phone) is asked anew.
    await _mark_chosen(ctx, callback)
    await ctx.show(ctx.step)


async def on_report_button(
    callback: CallbackQuery, callback_data: ReportCb, ctx: StepContext
) -> None:
    """Every button of the report conversation arrives here first."""
    if callback_data.step != ctx.step:
        await _stale(ctx, callback)
        return
    value = callback_data.value
    if value == kb.CANCEL or (ctx.step == "summary" and value == CANCEL):
        await _ask_to_cancel(ctx, callback)
        return
    if value == kb.DISCARD:
        await replies.answer(callback)
        await _mark_chosen(ctx, callback)
        await flow.cancel_report(ctx.bot, ctx.chat_id, ctx.state)
        return
    if value == kb.KEEP:
        await _keep(ctx, callback)
        return
    if value == kb.BACK:
        await replies.answer(callback)
        await _mark_chosen(ctx, callback)
        await ctx.back()
        return
    handler = _HANDLERS.get(ctx.step)
    if handler is None or not await handler(ctx, value, callback):
        await _unavailable(callback)


async def _danger(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in ("yes", "no"):
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.urgent = value == "yes"
    if ctx.draft.urgent:
        # Numbers first, before anything else is asked: the caller may need them right now.
        await ctx.say(emergency_text(list(ctx.options.emergency_numbers)))
    await ctx.advance()
    return True


def _simple_choice(attribute: str, allowed: tuple[str, ...]):  # type: ignore[no-untyped-def]
    async def handle(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
        if value not in allowed:
            return False
        await replies.answer(callback)
        await _mark_chosen(ctx, callback)
        setattr(ctx.draft, attribute, value)
        await ctx.advance()
        return True

    return handle


async def _category(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in CATEGORIES:
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.category = value
    forget_other_categories(ctx.draft)
    await ctx.advance()
    return True


async def _victim(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in victims_for(ctx.draft.category):
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    if ctx.draft.victim != value:
        ctx.draft.victim_age = None  # the age ranges depend on the victim
    ctx.draft.victim = value
    await ctx.advance()
    return True


async def _victim_age(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in ages_for(ctx.draft.victim):
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.victim_age = value
    await ctx.advance()
    return True


async def choose_kecamatan(ctx: StepContext, kecamatan_id: int) -> None:
    if ctx.draft.kecamatan_id != kecamatan_id:
        ctx.draft.kelurahan_id = None
    ctx.draft.kecamatan_id = kecamatan_id
    await ctx.advance()


async def choose_kelurahan(ctx: StepContext, kelurahan_id: int) -> None:
    ctx.draft.kelurahan_id = kelurahan_id
    await ctx.advance()


async def _kecamatan(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    place = ctx.gazetteer.kecamatan(int(value)) if value.isdigit() else None
    if place is None:
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    await choose_kecamatan(ctx, place.id)
    return True


async def _kelurahan(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    place = ctx.gazetteer.kelurahan(int(value)) if value.isdigit() else None
    if place is None or place.kecamatan_id != ctx.draft.kecamatan_id:
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    await choose_kelurahan(ctx, place.id)
    return True


async def _held_at(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value != SKIP:
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.held_at = None
    await ctx.advance()
    return True


async def _landmark(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value != SKIP:
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.landmark = None
    await ctx.advance()
    return True


async def _description(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value != DONE:
        return False
    if not ctx.draft.has_description():
        await replies.answer(
            callback,
            _("Please tell us what happened first: write a message or send a voice note."),
            show_alert=True,
        )
        return True
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    await ctx.advance()
    return True


async def _evidence(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in (DONE, SKIP):
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    await ctx.advance()
    return True


async def _identity(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in ("anonymous", "named"):
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.anonymous = value == "anonymous"
    if ctx.draft.anonymous:
        ctx.draft.name = None
        ctx.draft.phone = None
    await ctx.advance()
    return True


async def _consent(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value not in ("yes", "no"):
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    ctx.draft.consent = value == "yes"
    await ctx.advance()
    return True


async def _summary(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value == SEND:
        await send_report(ctx, callback)
        return True
    if value == EDIT:
        await replies.answer(callback)
        await _mark_chosen(ctx, callback)
        await ctx.show("edit")
        return True
    return False


async def _edit(ctx: StepContext, value: str, callback: CallbackQuery) -> bool:
    if value == TO_SUMMARY:
        await replies.answer(callback)
        await _mark_chosen(ctx, callback)
        await ctx.show("summary")
        return True
    if value not in EDIT_GROUPS:
        return False
    await replies.answer(callback)
    await _mark_chosen(ctx, callback)
    await ctx.show(start_editing(ctx.draft, value))
    return True


_HANDLERS = {
    "danger": _danger,
    "relation": _simple_choice("relation", RELATIONS),
    "category": _category,
    "victim": _victim,
    "victim_age": _victim_age,
    "child_role": _simple_choice("child_role", CHILD_ROLES),
    "recruitment": _simple_choice("recruitment", RECRUITMENTS),
    "held_at": _held_at,
    "border": _simple_choice("border", BORDERS),
    "kecamatan": _kecamatan,
    "kelurahan": _kelurahan,
    "landmark": _landmark,
    "occurred": _simple_choice("occurred", OCCURRED),
    "description": _description,
    "evidence": _evidence,
    "identity": _identity,
    "consent": _consent,
    "summary": _summary,
    "edit": _edit,
}


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_report_button, ReportCb.filter(), StateFilter(ReportForm))
    return router
