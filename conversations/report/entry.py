"""Starting a report: /lapor and the main-menu button."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import ConsentCb, MenuCb
from conversations.consent import AGREE_THEN_REPORT, ask_consent, record_consent
from conversations.report import flow
from conversations.report.states import ReportForm
from services.gazetteer import Gazetteer
from services.report_draft import Draft
from storage.models import User
from storage.repositories import Repo


async def start_report(
    bot: Bot, chat_id: int, state: FSMContext, db_user: User, gazetteer: Gazetteer
) -> None:
    if db_user.consented_at is None:
        await ask_consent(bot, chat_id, then_report=True)
        return
    if await flow.current_step(state) is not None:
        await replies.send(
            bot,
            chat_id,
            _(
                "You have a report that is not sent yet; your answers are kept. Let's go on "
                "where you left off. To throw it away and start over, send /batal."
            ),
        )
        # Asked again below; the copy above loses its buttons (live.py).
        await flow.reprompt(bot, chat_id, state, gazetteer)
        return
    await state.set_state(ReportForm.danger)
    await replies.send(
        bot,
        chat_id,
        _(
            "📝 <b>New report</b>\n"
            "I will ask a few short questions; most have buttons. You can go back at any time, "
            "or cancel with /batal. Nothing is sent until you press <b>Send</b> at the end."
        ),
    )
    await flow.show_step(bot, chat_id, state, Draft(), "danger", gazetteer)


async def lapor_command(
    message: Message, bot: Bot, state: FSMContext, db_user: User, gazetteer: Gazetteer
) -> None:
    """/lapor: start a report (or return to the one in progress)."""
    await start_report(bot, message.chat.id, state, db_user, gazetteer)


async def lapor_button(
    callback: CallbackQuery, bot: Bot, state: FSMContext, db_user: User, gazetteer: Gazetteer
) -> None:
    await replies.answer(callback)
    await start_report(bot, callback.from_user.id, state, db_user, gazetteer)


async def agreed_then_report(
    callback: CallbackQuery,
    bot: Bot,
    repo: Repo,
    db_user: User,
    state: FSMContext,
    gazetteer: Gazetteer,
) -> None:
    """ "I agree" on the consent /lapor asked for: the report starts at once."""
    await replies.answer(callback, _("Thank you"))
    await record_consent(repo, db_user)
    await start_report(bot, callback.from_user.id, state, db_user, gazetteer)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(lapor_command, Command("lapor"))
    router.callback_query.register(lapor_button, MenuCb.filter(F.action == "report"))
    router.callback_query.register(
        agreed_then_report, ConsentCb.filter(F.action == AGREE_THEN_REPORT)
    )
    return router
