"""What happens when an officer presses Terima on an alert.

The first press owns the case (services/cases.take_case decides races with one conditional
UPDATE); the others' alerts are edited through the outbox to say who took it; the winner's
alert turns into the case card with the status, note and contact buttons.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import CasePress
from services import case_buttons
from services.alerting import load_report
from services.case_views import display_name
from services.cases import NotAllowed, take_case


async def take(_event: CallbackQuery, case: CasePress) -> None:
    try:
        taken = await take_case(
            case.repo.session,
            case.data.report_id,
            case.user_id,
            case.options.clock.now(),
            case.options.quiet_hours,
            case.press,
        )
    except NotAllowed:
        case.refuse()
        return
    report = await load_report(case.repo.session, case.data.report_id)
    assert report is not None
    if not taken.won:
        await replies.answer(
            case.callback,
            _("Already taken by {name}.").format(name=taken.owner_name),
            show_alert=True,
        )
        return
    await replies.answer(case.callback, _("The case is yours. Thank you!"))
    await case.show_card(report)


async def taken_by(_event: CallbackQuery, case: CasePress) -> None:
    """The "taken by ..." button of a combined alert: says who, to someone who may see the
    case (the ids are sequential: a forged press must not learn who owns which case)."""
    report = await case.visible("case_button_refused")
    if report is None:
        return
    if report.owner_id is None:
        await replies.answer(case.callback)
        return
    name = await display_name(case.repo.session, report.owner_id)
    await replies.answer(case.callback, _("Already taken by {name}.").format(name=name))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(take, CaseCb.filter(F.action == case_buttons.TAKE))
    router.callback_query.register(taken_by, CaseCb.filter(F.action == case_buttons.INFO))
    return router
