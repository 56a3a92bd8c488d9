"""Hubungi pelapor: the owner writes to the reporter and the reporter answers, through the bot.

Neither message shows who wrote it; the reporter's chat is only used when they agreed.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.guard import CasePress
from conversations.filters import NOT_A_COMMAND, TEXT
from conversations.options import ConversationOptions
from services import case_buttons as cb
from services.alerting import load_report
from services.cases import NotAllowed, record_refusal
from services.notices import is_reporter, reporter_chat
from services.relay import MAX_RELAY, NoContact, relay_to_officer, relay_to_reporter, too_long
from services.text_limits import utf16_length
from storage.repositories import Repo


class RelayForm(StatesGroup):
    to_reporter = State()
    to_officer = State()


async def ask_message(_event: CallbackQuery, case: CasePress, state: FSMContext) -> None:
    report = await case.changeable("relay_refused")
    if report is None:
        return
    if reporter_chat(report) is None:
        await replies.answer(
            case.callback,
            _("The reporter did not agree to be contacted through the bot."),
            show_alert=True,
        )
        return
    await state.set_state(RelayForm.to_reporter)
    await state.update_data(report_id=report.id)
    await replies.answer(case.callback)
    await replies.send(
        case.bot,
        case.user_id,
        _(
            "Write your message to the reporter of <code>{code}</code>. They will not see your "
            "name or account. (/batal to stop)"
        ).format(code=report.code),
    )


async def ask_reply(_event: CallbackQuery, case: CasePress, state: FSMContext) -> None:
    report = await load_report(case.repo.session, case.data.report_id)
    if report is None or not is_reporter(report, case.user_id):
        # No actor: the presser may be the reporter, whose Telegram id is kept nowhere in clear.
        await record_refusal(
            case.repo.session, "reply_refused", actor_id=None, report_id=case.data.report_id
        )
        case.refuse()
        return
    await state.set_state(RelayForm.to_officer)
    await state.update_data(report_id=report.id)
    await replies.answer(case.callback)
    await replies.send(
        case.bot, case.user_id, _("Write your answer to the officer. (/batal to stop)")
    )


async def written(
    message: Message, repo: Repo, state: FSMContext, options: ConversationOptions
) -> None:
    assert message.from_user is not None
    text = (message.text or "").strip()
    if not text:
        await replies.reply(
            message,
            _("Please write a message of up to {limit} characters.").format(limit=MAX_RELAY),
        )
        return
    if too_long(text):
        # Refused here, before "Sent": Telegram would refuse it later, where nobody sees it.
        await replies.reply(
            message,
            _(
                "That message is too long to send: {length} characters, and at most {limit} "
                "fit (an emoji counts as two). Please shorten it; nothing was sent."
            ).format(length=utf16_length(text), limit=MAX_RELAY),
        )
        return
    current = await state.get_state()
    report_id = int((await state.get_data()).get("report_id", 0))
    # The update id makes the relay idempotent if Telegram delivers the update twice.
    key = f"{message.chat.id}:{message.message_id}"
    now = options.clock.now()
    due = now
    try:
        if current == RelayForm.to_reporter.state:
            due = await relay_to_reporter(
                repo.session, report_id, message.from_user.id, text, key, now, options.quiet_hours
            )
        else:
            await relay_to_officer(repo.session, report_id, message.from_user.id, text, key, now)
    except NoContact:
        await replies.reply(
            message, _("The reporter did not agree to be contacted through the bot.")
        )
    except NotAllowed:
        await replies.reply(message, _("You are not allowed to do this."))
    else:
        # The relayed message is an outbox row of this transaction (services/relay.py), not a
        # call made here: once committed, it is sent.
        if due > now:
            held = _(
                "✉️ Sent. It is quiet hours for the reporter: the message reaches them at {time}."
            ).format(time=f"{due.astimezone(options.timezone):%H:%M}")
            await replies.reply(message, held)
        else:
            await replies.reply(message, _("✉️ Sent."))
    await state.clear()


async def text_expected(message: Message) -> None:
    await replies.reply(message, _("Please write the message as text, or send /batal to stop."))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(ask_message, CaseCb.filter(F.action == cb.CONTACT))
    router.callback_query.register(ask_reply, CaseCb.filter(F.action == cb.REPLY))
    writing = StateFilter(RelayForm.to_reporter, RelayForm.to_officer)
    router.message.register(written, writing, TEXT, NOT_A_COMMAND)
    router.message.register(text_expected, writing, NOT_A_COMMAND)
    return router
