"""Commands available everywhere: /start, /bantuan, /privasi, /darurat, /bahasa, /batal.

Side commands sent in the middle of a report answer and then ask the current question again,
so the draft is never lost by asking for help.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.callbacks import LanguageCb, MenuCb
from conversations.consent import ask_consent
from conversations.menu import main_menu
from conversations.options import ConversationOptions
from conversations.privacy_notice import privacy_notice
from conversations.report import flow
from conversations.staff.help import staff_help_text
from conversations.staff.texts import place_list
from conversations.texts import emergency_text
from services.gazetteer import Gazetteer
from services.roles import COORDINATOR, OFFICER, officer_kelurahan_ids
from storage.models import User
from storage.repositories import Repo

LANGUAGES = {"id": "🇮🇩 Bahasa Indonesia", "en": "🇬🇧 English"}


def help_text() -> str:
    return _(
        "ℹ️ <b>What this bot can do</b>\n\n"
        "/lapor — report an incident (anonymously if you wish)\n"
        "/status <i>code</i> — check a report with its tracking code\n"
        "/darurat — emergency numbers\n"
        "/batal — cancel what you are doing\n"
        "/hapus — delete this chat's messages from your phone\n"
        "/bahasa — change the language\n"
        "/langganan — receive awareness messages\n"
        "/berhenti — stop awareness messages\n"
        "/privasi — how your data is protected\n"
        "/hapusdata — erase your personal data\n\n"
        "If someone is in danger now, call 112."
    )


async def _resume_report(bot: Bot, chat_id: int, state: FSMContext, gazetteer: Gazetteer) -> None:
    if await flow.current_step(state) is not None:
        await flow.reprompt(bot, chat_id, state, gazetteer)


async def _staff_help(repo: Repo, db_user: User, gazetteer: Gazetteer) -> str | None:
    """The help of an officer or a coordinator; None for a resident."""
    if db_user.role not in (OFFICER, COORDINATOR):
        return None
    areas = await officer_kelurahan_ids(repo.session, db_user.id)
    return staff_help_text(db_user.role, place_list(gazetteer, areas), serves=bool(areas))


async def start(
    message: Message,
    bot: Bot,
    db_user: User,
    state: FSMContext,
    gazetteer: Gazetteer,
    repo: Repo,
) -> None:
    """/start: staff see their tools; residents consent first, then the main menu (a report
    in progress is resumed)."""
    staff_help = await _staff_help(repo, db_user, gazetteer)
    if staff_help is not None:
        await replies.reply(message, staff_help)
        await _resume_report(bot, message.chat.id, state, gazetteer)
        return
    if db_user.consented_at is None:
        await ask_consent(bot, message.chat.id)
        return
    await replies.reply(
        message,
        _("👋 Welcome back to Lapor Aman. What would you like to do?"),
        reply_markup=main_menu(),
    )
    await _resume_report(bot, message.chat.id, state, gazetteer)


async def help_command(
    message: Message,
    bot: Bot,
    state: FSMContext,
    gazetteer: Gazetteer,
    repo: Repo,
    db_user: User,
) -> None:
    """/bantuan: the resident's commands; staff get their own tools first."""
    await replies.reply(message, await _staff_help(repo, db_user, gazetteer) or help_text())
    await _resume_report(bot, message.chat.id, state, gazetteer)


async def help_button(
    callback: CallbackQuery, bot: Bot, repo: Repo, db_user: User, gazetteer: Gazetteer
) -> None:
    await replies.answer(callback)
    text = await _staff_help(repo, db_user, gazetteer) or help_text()
    await replies.send(bot, callback.from_user.id, text)


async def privacy_command(
    message: Message, bot: Bot, state: FSMContext, gazetteer: Gazetteer
) -> None:
    await replies.reply(message, privacy_notice())
    await _resume_report(bot, message.chat.id, state, gazetteer)


async def emergency_command(
    message: Message,
    bot: Bot,
    state: FSMContext,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    await replies.reply(message, emergency_text(list(options.emergency_numbers)))
    await _resume_report(bot, message.chat.id, state, gazetteer)


async def emergency_button(callback: CallbackQuery, bot: Bot, options: ConversationOptions) -> None:
    await replies.answer(callback)
    await replies.send(bot, callback.from_user.id, emergency_text(list(options.emergency_numbers)))


async def language_command(message: Message) -> None:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGES.items():
        builder.button(text=name, callback_data=LanguageCb(code=code))
    builder.adjust(1)
    await replies.reply(message, _("Choose your language:"), reply_markup=builder.as_markup())


async def language_chosen(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    bot: Bot,
    repo: Repo,
    i18n: I18n,
    state: FSMContext,
    gazetteer: Gazetteer,
    db_user: User,
) -> None:
    if callback_data.code not in LANGUAGES:
        await replies.answer(
            callback, _("That choice is not available. Please use the buttons shown.")
        )
        return
    if callback_data.code == i18n.current_locale:
        # Nothing changes: a toast, and nothing new in the chat however often it is tapped.
        if db_user.language != callback_data.code:
            await repo.users.set_language(callback.from_user.id, callback_data.code)
        await replies.answer(callback, _("This is already your language."))
        return
    await repo.users.set_language(callback.from_user.id, callback_data.code)
    # The rest of this update speaks the new language already.
    i18n.current_locale = callback_data.code
    await replies.answer(callback)
    await replies.send(bot, callback.from_user.id, _("Language changed to English."))
    if db_user.consented_at is None and db_user.role not in (OFFICER, COORDINATOR):
        # The consent text they saw was in the other language: show it again in this one.
        await ask_consent(bot, callback.from_user.id)
        return
    await _resume_report(bot, callback.from_user.id, state, gazetteer)


async def cancel_command(message: Message, bot: Bot, state: FSMContext) -> None:
    """/batal: a report is thrown away only once confirmed; anything else at once."""
    if await flow.current_step(state) is not None:
        await flow.ask_to_cancel(bot, message.chat.id, state)
        return
    if await state.get_state() is not None:
        await state.clear()
        await replies.reply(message, _("Cancelled."), reply_markup=ReplyKeyboardRemove())
        return
    await replies.reply(
        message,
        _("There is nothing to cancel. Send /lapor to report an incident."),
        reply_markup=ReplyKeyboardRemove(),
    )


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("bantuan", "help"))
    router.callback_query.register(help_button, MenuCb.filter(F.action == "help"))
    router.message.register(privacy_command, Command("privasi"))
    router.message.register(emergency_command, Command("darurat"))
    router.callback_query.register(emergency_button, MenuCb.filter(F.action == "emergency"))
    router.message.register(language_command, Command("bahasa", "language"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    router.message.register(cancel_command, Command("batal"))
    return router
