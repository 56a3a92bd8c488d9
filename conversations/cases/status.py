"""Status buttons on the case card: ditangani, dirujuk (with the partner), selesai (with the
outcome), reopening a closed case (asked first), and opening a card.

Every button that changes the case is checked against the case as it is now (guard.py): one
from an older card changes nothing, says why, and the card is redrawn.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import CasePress
from services import case_buttons as cb
from services import labels
from services.case_card import choice_keyboard, reopen_question
from services.cases import reopen_case, set_status
from services.followups import resume_followups


async def open_card(_event: CallbackQuery, case: CasePress) -> None:
    report = await case.visible("case_button_refused")
    if report is None:
        return
    await case.repo.audit.record("case_viewed", actor_id=case.user_id, report_id=report.id)
    await replies.answer(case.callback)
    await case.show_card(report)


async def handling(_event: CallbackQuery, case: CasePress) -> None:
    await _change(case, "ditangani")


async def choose(_event: CallbackQuery, case: CasePress) -> None:
    """Refer or Close: first ask for the partner or the outcome (on the same card, carrying
    the version it showed)."""
    report = await case.current("case_button_refused")
    if report is None:
        return
    if report.owner_id is None or report.status == "selesai":
        await case.stale(report)
        return
    language = case.i18n.current_locale
    if case.data.action == cb.REFER:
        keyboard = choice_keyboard(report, language, cb.PARTNER, labels.PARTNER)
    else:
        keyboard = choice_keyboard(report, language, cb.OUTCOME, labels.OUTCOME)
    await replies.answer(
        case.callback,
        _("Refer to whom?") if case.data.action == cb.REFER else _("What was the outcome?"),
    )
    # A second press "edits" to the same buttons, which Telegram refuses: no apology for that.
    await replies.edit_markup(
        case.callback, case.bot, InlineKeyboardMarkup.model_validate(keyboard)
    )


async def chosen(_event: CallbackQuery, case: CasePress) -> None:
    value = case.data.value
    if case.data.action == cb.PARTNER:
        if value not in labels.PARTNER:
            await case.refuse_case("case_button_refused")
            return
        await _change(case, "dirujuk", partner=value)
        return
    if value not in labels.OUTCOME:
        await case.refuse_case("case_button_refused")
        return
    await _change(case, "selesai", outcome=value)


async def _change(
    case: CasePress, status: str, *, partner: str | None = None, outcome: str | None = None
) -> None:
    report = await case.current("status_refused")
    if report is None:
        return
    change = set_status(
        case.repo.session,
        case.data.report_id,
        case.user_id,
        status,
        case.options.clock.now(),
        case.options.quiet_hours,
        partner=partner,
        outcome=outcome,
        press=case.press,
    )
    report = await case.attempt(change)
    if report is None:
        return
    await replies.answer(
        case.callback, _("Status: {status}").format(status=labels.label(_, labels.STATUS, status))
    )
    await case.show_card(report)


async def ask_reopen(_event: CallbackQuery, case: CasePress) -> None:
    """Reopen on a closed card: the card turns into the question (No brings it back)."""
    report = await case.current("reopen_refused")
    if report is None:
        return
    if report.status != "selesai":
        await case.stale(report)
        return
    text, keyboard = reopen_question(report, case.i18n.current_locale)
    await replies.answer(case.callback)
    await replies.replace_screen(
        case.callback, case.bot, text, InlineKeyboardMarkup.model_validate(keyboard)
    )


async def reopen(_event: CallbackQuery, case: CasePress) -> None:
    report = await case.current("reopen_refused")
    if report is None:
        return
    options = case.options
    change = reopen_case(
        case.repo.session,
        report.id,
        case.user_id,
        options.clock.now(),
        options.quiet_hours,
        case.press,
    )
    report = await case.attempt(change)
    if report is None:
        return
    # Open again: the reporter's check-ins go on as for any open case.
    await resume_followups(case.repo.session, report, options.followups, options.clock.now())
    await replies.answer(case.callback, _("The case is open again."))
    await case.show_card(report)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(open_card, CaseCb.filter(F.action == cb.OPEN))
    router.callback_query.register(handling, CaseCb.filter(F.action == cb.HANDLING))
    router.callback_query.register(choose, CaseCb.filter(F.action.in_({cb.REFER, cb.CLOSE})))
    router.callback_query.register(chosen, CaseCb.filter(F.action.in_({cb.PARTNER, cb.OUTCOME})))
    router.callback_query.register(ask_reopen, CaseCb.filter(F.action == cb.REOPEN))
    router.callback_query.register(reopen, CaseCb.filter(F.action == cb.REOPEN_YES))
    return router
