"""The permission check every case button starts with."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from services.alerting import load_report
from services.cases import may_change, may_see, record_refusal
from storage.models import Report
from storage.repositories import Repo
from storage.session_context import after_commit


async def changeable_case(
    callback: CallbackQuery, callback_data: CaseCb, repo: Repo, refusal: str
) -> Report | None:
    """The case, if the presser may change it; otherwise refuse, audit-log, return None."""
    report = await load_report(repo.session, callback_data.report_id)
    if report is not None and await may_change(repo.session, report, callback.from_user.id):
        return report
    await refuse_case(callback, repo, callback_data.report_id, refusal)
    return None


async def visible_case(
    callback: CallbackQuery, callback_data: CaseCb, repo: Repo, refusal: str
) -> Report | None:
    """The case, if the presser may see it; otherwise refuse, audit-log, return None."""
    report = await load_report(repo.session, callback_data.report_id)
    if report is not None and await may_see(repo.session, report, callback.from_user.id):
        return report
    await refuse_case(callback, repo, callback_data.report_id, refusal)
    return None


async def refuse_case(callback: CallbackQuery, repo: Repo, report_id: int, refusal: str) -> None:
    """Audit-log a refused press on a case button, then say no."""
    await record_refusal(repo.session, refusal, actor_id=callback.from_user.id, report_id=report_id)
    refuse(callback, repo)


def refuse(callback: CallbackQuery, repo: Repo) -> None:
    """Say no once the update has committed: by the time the presser sees the refusal, it is
    in the audit log."""
    text = _("You are not allowed to do this.")  # in the update's language, read now
    after_commit(repo.session, replies.answering(callback, text, show_alert=True))
