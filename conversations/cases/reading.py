"""The card's reading buttons: 📄 Full report, 📎 Evidence, 🗒 Notes, for anyone who may see
the case (services/case_reading.py sends them)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import visible_case
from conversations.options import ConversationOptions
from services import case_buttons as cb
from services.case_reading import FILES, FULL, NOTES, send_part
from storage.repositories import Repo

_PARTS = {cb.FULL: FULL, cb.FILES: FILES, cb.NOTES: NOTES}


async def read(
    callback: CallbackQuery,
    callback_data: CaseCb,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    report = await visible_case(callback, callback_data, repo, "case_read_refused")
    if report is None:
        return
    await send_part(
        repo.session,
        report,
        _PARTS[callback_data.action],
        callback.from_user.id,
        i18n.current_locale,
        options.timezone,
        key=callback.id,
    )
    await replies.answer(callback, _("Sending it below."))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(read, CaseCb.filter(F.action.in_(set(_PARTS))))
    return router
