"""/status <kode>: a report's status and dates, for whoever holds its code."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import MenuCb
from conversations.filters import NOT_A_COMMAND, TEXT
from conversations.options import ConversationOptions
from conversations.report import flow
from conversations.texts import STATUS_LABELS, duration, label, quote
from services.gazetteer import Gazetteer
from services.status_lookup import NotFound, StatusView, TooManyAttempts, look_up_status
from storage.repositories import Repo


class StatusForm(StatesGroup):
    code = State()


def _ask_code_text() -> str:
    return _("Please send the tracking code of the report, for example <code>LA-ACDE-F347</code>.")


async def _answer(
    message: Message, text: str, user_id: int, repo: Repo, options: ConversationOptions
) -> bool:
    """Look the code up and answer; True when the lookup ended (found or paused)."""
    result = await look_up_status(
        repo,
        user_id,
        text,
        limit=options.status_lookup_limit,
        window=options.status_lookup_window,
        now=options.clock.now(),
    )
    if isinstance(result, TooManyAttempts):
        # Whole minutes, rounded up (never "0"), in words that agree with the number.
        minutes = max(1, math.ceil(result.retry_in.total_seconds() / 60))
        await replies.reply(
            message,
            _(
                "Too many codes that did not match. For everyone's safety, please wait "
                "{duration} and try again."
            ).format(duration=duration(timedelta(minutes=minutes))),
        )
        return True
    if isinstance(result, NotFound):
        await replies.reply(
            message,
            _(
                "No report has the code <code>{code}</code>. Please check it and try again: "
                "codes look like <code>LA-ACDE-F347</code>."
            ).format(code=quote(text.strip()[:40])),
        )
        return False
    await replies.reply(message, _status_text(result, options))
    return True


def _status_text(view: StatusView, options: ConversationOptions) -> str:
    def local(at: datetime) -> str:
        return at.astimezone(options.timezone).strftime("%d-%m-%Y %H:%M")

    return _(
        "📄 <b>Report {code}</b>\n"
        "Status: <b>{status}</b>\n"
        "Sent: {submitted}\n"
        "Last update: {updated}"
    ).format(
        code=view.code,
        status=label(STATUS_LABELS, view.status),
        submitted=local(view.submitted_at),
        updated=local(view.updated_at),
    )


async def status_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    state: FSMContext,
    repo: Repo,
    options: ConversationOptions,
    gazetteer: Gazetteer,
) -> None:
    assert message.from_user is not None
    reporting = await flow.current_step(state) is not None
    if command.args:
        await _answer(message, command.args, message.from_user.id, repo, options)
    elif reporting:
        await replies.reply(message, _("To check a report, send /status followed by its code."))
    else:
        await state.set_state(StatusForm.code)
        await replies.reply(message, _ask_code_text())
    if reporting:
        await flow.reprompt(bot, message.chat.id, state, gazetteer)


async def status_button(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await replies.answer(callback)
    if await flow.current_step(state) is not None:
        await replies.send(
            bot, callback.from_user.id, _("To check a report, send /status followed by its code.")
        )
        return
    await state.set_state(StatusForm.code)
    await replies.send(bot, callback.from_user.id, _ask_code_text())


async def code_typed(
    message: Message, state: FSMContext, repo: Repo, options: ConversationOptions
) -> None:
    assert message.from_user is not None and message.text is not None
    if await _answer(message, message.text, message.from_user.id, repo, options):
        await state.clear()


async def code_expected(message: Message) -> None:
    await replies.reply(message, _ask_code_text() + "\n" + _("Or send /batal to stop."))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(status_command, Command("status"))
    router.callback_query.register(status_button, MenuCb.filter(F.action == "status"))
    router.message.register(code_typed, StateFilter(StatusForm.code), TEXT, NOT_A_COMMAND)
    router.message.register(code_expected, StateFilter(StatusForm.code))
    return router
