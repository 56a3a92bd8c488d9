"""The card's reading buttons: 📄 Full report, 📎 Evidence, 🗒 Notes, for anyone who may see
the case (services/case_reading.py sends them)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import CasePress
from services import case_buttons as cb
from services.case_reading import FILES, FULL, NOTES, send_part

_PARTS = {cb.FULL: FULL, cb.FILES: FILES, cb.NOTES: NOTES}


async def read(_event: CallbackQuery, case: CasePress) -> None:
    report = await case.visible("case_read_refused")
    if report is None:
        return
    await send_part(
        case.repo.session,
        report,
        _PARTS[case.data.action],
        case.user_id,
        case.i18n.current_locale,
        case.options.timezone,
        key=case.callback.id,
    )
    await replies.answer(case.callback, _("Sending it below."))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(read, CaseCb.filter(F.action.in_(set(_PARTS))))
    return router
