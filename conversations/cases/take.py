"""What happens when an officer presses Terima on an alert.

The first press owns the case (services/cases.take_case decides races with one conditional
UPDATE); the others' alerts are edited through the outbox to say who took it; the winner's
alert turns into the case card with the status, note and contact buttons.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.card import show_card
from conversations.cases.guard import press_of, refuse, visible_case
from conversations.options import ConversationOptions
from services import case_buttons
from services.alerting import load_report
from services.case_views import display_name
from services.cases import NotAllowed, take_case
from storage.repositories import Repo


async def take(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    try:
        taken = await take_case(
            repo.session,
            callback_data.report_id,
            callback.from_user.id,
            options.clock.now(),
            options.quiet_hours,
            press_of(callback, callback_data, options),
        )
    except NotAllowed:
        refuse(callback, repo)
        return
    report = await load_report(repo.session, callback_data.report_id)
    assert report is not None
    if not taken.won:
        await replies.answer(
            callback, _("Already taken by {name}.").format(name=taken.owner_name), show_alert=True
        )
        return
    await replies.answer(callback, _("The case is yours. Thank you!"))
    await show_card(callback, bot, repo, report, i18n, options)


async def taken_by(callback: CallbackQuery, callback_data: CaseCb, repo: Repo) -> None:
    """The "taken by ..." button of a combined alert: says who, to someone who may see the
    case (the ids are sequential: a forged press must not learn who owns which case)."""
    report = await visible_case(callback, callback_data, repo, "case_button_refused")
    if report is None:
        return
    if report.owner_id is None:
        await replies.answer(callback)
        return
    name = await display_name(repo.session, report.owner_id)
    await replies.answer(callback, _("Already taken by {name}.").format(name=name))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(take, CaseCb.filter(F.action == case_buttons.TAKE))
    router.callback_query.register(taken_by, CaseCb.filter(F.action == case_buttons.INFO))
    return router
