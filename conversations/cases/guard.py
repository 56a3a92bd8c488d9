"""The checks every case button starts with: the presser's rights, and for a button that
changes the case, that the card it is on still shows the case as it is."""

from __future__ import annotations

from collections.abc import Awaitable

from aiogram import Bot
from aiogram.types import CallbackQuery, InaccessibleMessage
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.card import show_card
from conversations.options import ConversationOptions
from services import labels
from services.alerting import load_report
from services.case_views import CardRef, display_name
from services.cases import NotAllowed, Press, Stale, may_change, may_see, record_refusal
from storage.models import Report
from storage.repositories import Repo
from storage.session_context import after_commit

# Telegram shows at most 200 characters in a button's answer.
_ANSWER_LIMIT = 200


async def changeable_case(
    callback: CallbackQuery, callback_data: CaseCb, repo: Repo, refusal: str
) -> Report | None:
    """The case, if the presser may change it; otherwise refuse, audit-log, return None."""
    report = await load_report(repo.session, callback_data.report_id)
    if report is not None and await may_change(repo.session, report, callback.from_user.id):
        return report
    await refuse_case(callback, repo, callback_data.report_id, refusal)
    return None


async def current_case(
    callback: CallbackQuery,
    callback_data: CaseCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
    refusal: str,
) -> Report | None:
    """The case, if the presser may change it and the pressed card shows it as it is now;
    a press from an older card is refused with the reason, and the card redrawn."""
    report = await changeable_case(callback, callback_data, repo, refusal)
    if report is None:
        return None
    if callback_data.version is not None and callback_data.version == report.version:
        return report
    await stale_card(callback, bot, repo, report, i18n, options)
    return None


def press_of(callback: CallbackQuery, callback_data: CaseCb, options: ConversationOptions) -> Press:
    """What the services need to know of a press on a card."""
    return Press(version=callback_data.version, card=card_ref(callback), tz=options.timezone)


def card_ref(callback: CallbackQuery) -> CardRef | None:
    message = callback.message
    if message is None or isinstance(message, InaccessibleMessage) or not message.text:
        return None  # not a card (a photo, or a message too old to reach)
    return callback.from_user.id, message.message_id


async def stale_card(
    callback: CallbackQuery,
    bot: Bot,
    repo: Repo,
    report: Report,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    """The case changed since the pressed card was drawn (on another card, by someone else):
    nothing changes, the presser is told why, and the card shows the case as it is now."""
    await repo.audit.record(
        "case_button_stale", actor_id=callback.from_user.id, report_id=report.id
    )
    state = labels.label(_, labels.STATUS, report.status)
    if report.owner_id is not None:
        state = _("{status}, handled by {name}").format(
            status=state, name=await display_name(repo.session, report.owner_id)
        )
    text = _(
        "This card was out of date: case {code} is now: {state}. The card has been updated; "
        "press again if you still need to."
    ).format(code=report.code, state=state)
    await replies.answer(callback, text[:_ANSWER_LIMIT], show_alert=True)
    await show_card(callback, bot, repo, report, i18n, options)


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


async def attempt(
    callback: CallbackQuery,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
    change: Awaitable[Report],
) -> Report | None:
    """A change to the case as the presser asked for it; None when the services refused it
    (the presser hears so) or the press came from an older card (the card is redrawn)."""
    try:
        return await change
    except NotAllowed:
        refuse(callback, repo)
    except Stale as stale:
        await stale_card(callback, bot, repo, stale.report, i18n, options)
    return None


def refuse(callback: CallbackQuery, repo: Repo) -> None:
    """Say no once the update has committed: by the time the presser sees the refusal, it is
    in the audit log."""
    text = _("You are not allowed to do this.")  # in the update's language, read now
    after_commit(repo.session, replies.answering(callback, text, show_alert=True))
