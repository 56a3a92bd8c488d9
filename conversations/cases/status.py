"""Status buttons on the case card: ditangani, dirujuk (with the partner), selesai (with the
outcome), reopening a closed case (asked first), and opening a card.

Every button that changes the case is checked against the case as it is now (guard.py): one
from an older card changes nothing, says why, and the card is redrawn.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.card import show_card
from conversations.cases.guard import (
    attempt,
    current_case,
    press_of,
    refuse_case,
    stale_card,
    visible_case,
)
from conversations.options import ConversationOptions
from services import case_buttons as cb
from services import labels
from services.case_card import choice_keyboard, reopen_question
from services.cases import reopen_case, set_status
from services.followups import resume_followups
from storage.repositories import Repo


async def _refuse(callback: CallbackQuery, repo: Repo, report_id: int) -> None:
    await refuse_case(callback, repo, report_id, "case_button_refused")


async def open_card(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    report = await visible_case(callback, callback_data, repo, "case_button_refused")
    if report is None:
        return
    await repo.audit.record("case_viewed", actor_id=callback.from_user.id, report_id=report.id)
    await replies.answer(callback)
    await show_card(callback, bot, repo, report, i18n, options)


async def handling(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    await _change(callback, callback_data, bot, repo, i18n, options, "ditangani")


async def choose(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    """Refer or Close: first ask for the partner or the outcome (on the same card, carrying
    the version it showed)."""
    report = await current_case(
        callback, callback_data, bot, repo, i18n, options, "case_button_refused"
    )
    if report is None:
        return
    if report.owner_id is None or report.status == "selesai":
        await stale_card(callback, bot, repo, report, i18n, options)
        return
    if callback_data.action == cb.REFER:
        keyboard = choice_keyboard(report, i18n.current_locale, cb.PARTNER, labels.PARTNER)
    else:
        keyboard = choice_keyboard(report, i18n.current_locale, cb.OUTCOME, labels.OUTCOME)
    await replies.answer(
        callback,
        _("Refer to whom?") if callback_data.action == cb.REFER else _("What was the outcome?"),
    )
    # A second press "edits" to the same buttons, which Telegram refuses: no apology for that.
    await replies.edit_markup(callback, bot, InlineKeyboardMarkup.model_validate(keyboard))


async def chosen(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    if callback_data.action == cb.PARTNER:
        if callback_data.value not in labels.PARTNER:
            await _refuse(callback, repo, callback_data.report_id)
            return
        await _change(
            callback,
            callback_data,
            bot,
            repo,
            i18n,
            options,
            "dirujuk",
            partner=callback_data.value,
        )
        return
    if callback_data.value not in labels.OUTCOME:
        await _refuse(callback, repo, callback_data.report_id)
        return
    await _change(
        callback, callback_data, bot, repo, i18n, options, "selesai", outcome=callback_data.value
    )


async def _change(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
    status: str,
    *,
    partner: str | None = None,
    outcome: str | None = None,
) -> None:
    report = await current_case(callback, callback_data, bot, repo, i18n, options, "status_refused")
    if report is None:
        return
    change = set_status(
        repo.session,
        callback_data.report_id,
        callback.from_user.id,
        status,
        options.clock.now(),
        options.quiet_hours,
        partner=partner,
        outcome=outcome,
        press=press_of(callback, callback_data, options),
    )
    report = await attempt(callback, bot, repo, i18n, options, change)
    if report is None:
        return
    await replies.answer(
        callback, _("Status: {status}").format(status=labels.label(_, labels.STATUS, status))
    )
    await show_card(callback, bot, repo, report, i18n, options)


async def ask_reopen(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    """Reopen on a closed card: the card turns into the question (No brings it back)."""
    report = await current_case(callback, callback_data, bot, repo, i18n, options, "reopen_refused")
    if report is None:
        return
    if report.status != "selesai":
        await stale_card(callback, bot, repo, report, i18n, options)
        return
    text, keyboard = reopen_question(report, i18n.current_locale)
    await replies.answer(callback)
    await replies.replace_screen(callback, bot, text, InlineKeyboardMarkup.model_validate(keyboard))


async def reopen(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    report = await current_case(callback, callback_data, bot, repo, i18n, options, "reopen_refused")
    if report is None:
        return
    change = reopen_case(
        repo.session,
        report.id,
        callback.from_user.id,
        options.clock.now(),
        options.quiet_hours,
        press_of(callback, callback_data, options),
    )
    report = await attempt(callback, bot, repo, i18n, options, change)
    if report is None:
        return
    # Open again: the reporter's check-ins go on as for any open case.
    await resume_followups(repo.session, report, options.followups, options.clock.now())
    await replies.answer(callback, _("The case is open again."))
    await show_card(callback, bot, repo, report, i18n, options)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(open_card, CaseCb.filter(F.action == cb.OPEN))
    router.callback_query.register(handling, CaseCb.filter(F.action == cb.HANDLING))
    router.callback_query.register(choose, CaseCb.filter(F.action.in_({cb.REFER, cb.CLOSE})))
    router.callback_query.register(chosen, CaseCb.filter(F.action.in_({cb.PARTNER, cb.OUTCOME})))
    router.callback_query.register(ask_reopen, CaseCb.filter(F.action == cb.REOPEN))
    router.callback_query.register(reopen, CaseCb.filter(F.action == cb.REOPEN_YES))
    return router
