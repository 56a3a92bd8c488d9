"""A coordinator hands a case to an officer they choose (services/cases.assign_case): from the
card, 👥 lists the officers of the case's kecamatan, its own kelurahan's first."""

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
    refuse,
    refuse_case,
    stale_card,
)
from conversations.options import ConversationOptions
from services import case_buttons as cb
from services.case_views import display_name
from services.cases import assign_case, assignable_officers
from services.roles import is_coordinator
from storage.models import Report
from storage.repositories import Repo

# Telegram allows 100 buttons; a kecamatan has far fewer officers.
SHOWN = 40


async def _coordinators_case(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> Report | None:
    if not await is_coordinator(repo.session, callback.from_user.id):
        await refuse_case(callback, repo, callback_data.report_id, "assign_refused")
        return None
    report = await current_case(callback, callback_data, bot, repo, i18n, options, "assign_refused")
    if report is not None and report.status == "selesai":
        await stale_card(callback, bot, repo, report, i18n, options)
        return None
    return report


async def choose_officer(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    report = await _coordinators_case(callback, callback_data, bot, repo, i18n, options)
    if report is None:
        return
    people = await assignable_officers(repo.session, report)
    if not people:
        await replies.answer(
            callback,
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
    await replies.answer(callback, _("Hand the case to whom?"))
    await replies.edit_markup(
        callback, bot, InlineKeyboardMarkup.model_validate({"inline_keyboard": rows})
    )


async def officer_chosen(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    report = await _coordinators_case(callback, callback_data, bot, repo, i18n, options)
    if report is None:
        return
    if not callback_data.value.isdigit():
        refuse(callback, repo)
        return
    officer_id = int(callback_data.value)
    change = assign_case(
        repo.session,
        report.id,
        callback.from_user.id,
        officer_id,
        options.clock.now(),
        options.quiet_hours,
        press_of(callback, callback_data, options),
    )
    report = await attempt(callback, bot, repo, i18n, options, change)
    if report is None:
        return
    name = await display_name(repo.session, officer_id)
    await replies.answer(callback, _("Handed to {name}.").format(name=name))
    await show_card(callback, bot, repo, report, i18n, options)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(choose_officer, CaseCb.filter(F.action == cb.ASSIGN))
    router.callback_query.register(officer_chosen, CaseCb.filter(F.action == cb.OFFICER))
    return router
