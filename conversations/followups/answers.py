"""What happens when a reporter taps a follow-up button.

The check-in itself says nothing ("Hello, we have news for you"); Open turns it into the
question about their report with four answers. An answer is recorded once, acted on by
services/followups.py, and the question is replaced by what happens next, in the language of
the report. A button pressed late, twice, after the case was closed, by someone else or after
/hapusdata gets a clear answer and changes nothing (someone else, and anyone after /hapusdata,
only "no longer active"); whoever presses "I need help now" sees the emergency numbers
whatever became of the button.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.followups.callbacks import FollowupCb
from conversations.options import ConversationOptions
from conversations.texts import STATUS_LABELS, emergency_text, label
from services import followups
from services.followups import Answered, answer_followup, open_followup
from storage.models import Report
from storage.repositories import Repo


def _refusal_text(reason: str) -> str:
    # Not the reporter's chat (any more), or no such report: one answer for all, so that a
    # press forged with another report's id learns nothing of it (whether it is linked to a
    # chat tells whether its reporter agreed to be contacted). The audit log keeps the reason.
    texts = {
        followups.CLOSED: _(
            "This case has been closed, so nothing changed. If you need help, send /darurat."
        ),
        followups.STOPPED: _("You stopped these messages, so nothing changed."),
        followups.SUPERSEDED: _("There is a newer message. Please use the buttons on that one."),
        followups.ANSWERED: _("You have already answered this. Thank you."),
    }
    return texts.get(reason) or _("This button is no longer active.")


def _question(report: Report, round_: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "📋 <b>About your report <code>{code}</code></b>\n"
        "Status: {status}\n\n"
        "Has someone from the service contacted you? Choose an answer:"
    ).format(code=report.code, status=label(STATUS_LABELS, report.status))
    builder = InlineKeyboardBuilder()
    buttons = (
        (followups.CONTACTED, _("✅ I have been contacted")),
        (followups.NOT_CONTACTED, _("⏳ Nobody has contacted me")),
        (followups.HELP, _("🆘 I need help now")),
        (followups.STOP, _("🔕 Stop reminding me")),
    )
    for action, caption in buttons:
        builder.button(
            text=caption, callback_data=FollowupCb(action=action, report_id=report.id, round=round_)
        )
    builder.adjust(1)
    return text, builder.as_markup()


def _outcome(action: str, answered: Answered) -> str:
    if action == followups.CONTACTED:
        return _(
            "Thank you, we have noted that someone contacted you. We will check in again in a "
            "few days while the case is open."
        )
    if action == followups.NOT_CONTACTED and answered.owner_reminded:
        return _(
            "Thank you for telling us. We have reminded the officer handling your report, and "
            "the coordinators have been informed."
        )
    if action == followups.NOT_CONTACTED:
        return _(
            "Thank you for telling us. We have alerted the officers again, and the coordinators "
            "have been informed."
        )
    if action == followups.HELP:
        return _(
            "🆘 We have alerted the officers and the coordinators again, as urgent. If you are in "
            "danger now, call one of the numbers below."
        )
    return _(
        "🔕 Understood: we will not send you these messages any more. You can still check your "
        "report with /status {code}."
    ).format(code=answered.code)


def _locale(language: str, i18n: I18n) -> str:
    return language if language in i18n.available_locales else i18n.default_locale


async def open_checkin(
    callback: CallbackQuery, callback_data: FollowupCb, bot: Bot, repo: Repo, i18n: I18n
) -> None:
    """Open: only now does the chat show what the message is about."""
    press = await open_followup(
        repo.session, callback_data.report_id, callback_data.round, callback.from_user.id
    )
    if press.refusal is not None or press.report is None:
        await replies.answer(callback, _refusal_text(press.refusal or ""), show_alert=True)
        return
    await replies.answer(callback)
    with i18n.use_locale(_locale(press.report.language, i18n)):
        text, markup = _question(press.report, callback_data.round)
    await replies.replace_screen(callback, bot, text, markup)


async def answer(
    callback: CallbackQuery,
    callback_data: FollowupCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    user_id = callback.from_user.id
    answered = await answer_followup(
        repo.session,
        callback_data.report_id,
        callback_data.round,
        callback_data.action,
        user_id,
        options.alert_policy,
        options.clock.now(),
    )
    help_asked = callback_data.action == followups.HELP
    if answered.refusal is not None:
        await replies.answer(callback, _refusal_text(answered.refusal), show_alert=True)
        if help_asked:
            # Nothing changed, but someone asking for help is never left without the numbers.
            await replies.send(bot, user_id, emergency_text(list(options.emergency_numbers)))
        return
    await replies.answer(callback)
    with i18n.use_locale(_locale(answered.language, i18n)):
        outcome = _outcome(callback_data.action, answered)
        numbers = emergency_text(list(options.emergency_numbers)) if help_asked else None
    await replies.replace_screen(callback, bot, outcome, None)
    if numbers is not None:
        await replies.send(bot, user_id, numbers)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(open_checkin, FollowupCb.filter(F.action == followups.OPEN))
    router.callback_query.register(answer, FollowupCb.filter(F.action != followups.OPEN))
    return router
