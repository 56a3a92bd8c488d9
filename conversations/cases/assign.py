"""A coordinator hands a case to an officer they choose (services/cases.assign_case): from the
card, 👥 lists the officers of the case's kecamatan, its own kelurahan's first."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import CasePress
from services import case_buttons as cb
from services.case_views import display_name
from services.cases import assign_case, assignable_officers
from services.roles import is_coordinator
from storage.models import Report

# Telegram allows 100 buttons; a kecamatan has far fewer officers.
SHOWN = 40


async def _coordinators_case(case: CasePress) -> Report | None:
    if not await is_coordinator(case.repo.session, case.user_id):
        await case.refuse_case("assign_refused")
        return None
    report = await case.current("assign_refused")
    if report is not None and report.status == "selesai":
        await case.stale(report)
        return None
    return report


async def choose_officer(_event: CallbackQuery, case: CasePress) -> None:
    report = await _coordinators_case(case)
    if report is None:
        return
    people = await assignable_officers(case.repo.session, report)
    if not people:
        await replies.answer(
            case.callback,
            _("No other officer serves this kecamatan. Invite one with /undang."),
            show_alert=True,
        )
        return
    rows = [
        [
            cb.button(
                person.name
                if person.in_kelurahan
                # Serves the kecamatan, not this kelurahan.
                else _("{name} (kecamatan)").format(name=person.name),
                cb.OFFICER,
                report.id,
                str(person.officer_id),
                version=report.version,
            )
        ]
        for person in people[:SHOWN]
    ]
    rows.append([cb.button(_("⬅️ Back"), cb.OPEN, report.id)])
    await replies.answer(case.callback, _("Hand the case to whom?"))
    await replies.edit_markup(
        case.callback, case.bot, InlineKeyboardMarkup.model_validate({"inline_keyboard": rows})
    )


async def officer_chosen(_event: CallbackQuery, case: CasePress) -> None:
    report = await _coordinators_case(case)
    if report is None:
        return
    if not case.data.value.isdigit():
        case.refuse()
        return
    officer_id = int(case.data.value)
    change = assign_case(
        case.repo.session,
        report.id,
        case.user_id,
        officer_id,
        case.options.clock.now(),
        case.options.quiet_hours,
        case.press,
    )
    report = await case.attempt(change)
    if report is None:
        return
    name = await display_name(case.repo.session, officer_id)
    await replies.answer(case.callback, _("Handed to {name}.").format(name=name))
    await case.show_card(report)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(choose_officer, CaseCb.filter(F.action == cb.ASSIGN))
    router.callback_query.register(officer_chosen, CaseCb.filter(F.action == cb.OFFICER))
    return router
