"""Residents' subscriptions: the opt-in buttons, /langganan, /berhenti, and blocking the bot.

Subscribing is only ever something the person asked for: the "yes" button, a kelurahan
button of the subscription keyboard, or /langganan; the offer's "no" unsubscribes whoever
subscribed since it was made. Blocking the bot unsubscribes them, and
unblocking does not subscribe them again (services/subscriptions.py).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.callbacks import SubscribeCb
from conversations.filters import PRIVATE_CHAT, Matches
from conversations.options import ConversationOptions
from conversations.report import flow
from conversations.staff.texts import place_name
from conversations.texts import quote
from services import subscriptions
from services.gazetteer import Gazetteer
from storage.identity import day
from storage.models import Subscription, User
from storage.repositories import Repo

# --- keyboards and texts ----------------------------------------------------------------------


def kecamatan_keyboard(gazetteer: Gazetteer) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kecamatan in gazetteer.kecamatan_list():
        builder.button(
            text=kecamatan.name, callback_data=SubscribeCb(action="kec", id=kecamatan.id)
        )
    builder.adjust(2)
    builder.row()
    builder.button(text=_("🏙 City-wide only"), callback_data=SubscribeCb(action="city"))
    return builder.as_markup()


def kelurahan_keyboard(gazetteer: Gazetteer, kecamatan_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kelurahan in gazetteer.kelurahan_of(kecamatan_id):
        builder.button(
            text=kelurahan.name, callback_data=SubscribeCb(action="kel", id=kelurahan.id)
        )
    builder.adjust(2)
    builder.row()
    builder.button(text=_("⬅️ Back"), callback_data=SubscribeCb(action="top"))
    return builder.as_markup()


def subscribed_text(gazetteer: Gazetteer, subscription: Subscription) -> str:
    if subscription.kelurahan_id is None:
        return _("✅ Subscribed to city-wide messages. Send /berhenti to stop them at any time.")
    return _(
        "✅ Subscribed, with local news for {place}. Send /berhenti to stop them at any time."
    ).format(place=place_name(gazetteer, subscription.kelurahan_id))


def choose_place_text() -> str:
    return _(
        "✅ You are subscribed to awareness messages.\n\n"
        "Would you also like local news for your kelurahan? Choose your kecamatan, or keep "
        "city-wide messages only. Send /berhenti to stop them at any time."
    )


# --- the buttons --------------------------------------------------------------------------------


async def said_yes(
    callback: CallbackQuery,
    bot: Bot,
    repo: Repo,
    db_user: User,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    await subscriptions.subscribe(repo.session, db_user.id, options.clock.now(), keep_place=True)
    await replies.answer(callback, _("Subscribed"))
    await replies.replace_screen(callback, bot, choose_place_text(), kecamatan_keyboard(gazetteer))


async def said_no(
    callback: CallbackQuery, bot: Bot, repo: Repo, db_user: User, options: ConversationOptions
) -> None:
    """No means no, also when they subscribed since the offer was made (with /langganan:
    the offer stays in the chat, and this button with it)."""
    stopped = await subscriptions.unsubscribe(
        repo.session, db_user.id, options.clock.now(), reason="asked"
    )
    text = (
        _(
            "All right: you will no longer receive awareness messages. If you change your "
            "mind, send /langganan."
        )
        if stopped
        else _("All right, no awareness messages. If you change your mind, send /langganan.")
    )
    await replies.answer(callback)
    await replies.replace_screen(callback, bot, text, None)


async def browse(
    callback: CallbackQuery, callback_data: SubscribeCb, bot: Bot, gazetteer: Gazetteer
) -> None:
    """Between the kecamatan list and one kecamatan's kelurahan, in the same message."""
    await replies.answer(callback)
    if callback_data.action == "kec" and gazetteer.kecamatan(callback_data.id) is not None:
        markup = kelurahan_keyboard(gazetteer, callback_data.id)
    else:
        markup = kecamatan_keyboard(gazetteer)
    await replies.edit_markup(callback, bot, markup)


async def place_chosen(
    callback: CallbackQuery,
    callback_data: SubscribeCb,
    bot: Bot,
    repo: Repo,
    db_user: User,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    """A kelurahan, or "city-wide only": pressing it is asking to be subscribed."""
    kelurahan_id = callback_data.id if callback_data.action == "kel" else None
    if kelurahan_id is not None and gazetteer.kelurahan(kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    subscription = await subscriptions.subscribe(
        repo.session, db_user.id, options.clock.now(), kelurahan_id=kelurahan_id
    )
    await replies.answer(callback, _("Saved"))
    await replies.replace_screen(callback, bot, subscribed_text(gazetteer, subscription), None)


# --- the commands -------------------------------------------------------------------------------


async def subscribe_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    repo: Repo,
    db_user: User,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    state: FSMContext,
) -> None:
    """/langganan [kelurahan]: subscribe, or change the kelurahan."""
    user_id, now = db_user.id, options.clock.now()
    before = await subscriptions.current(repo.session, user_id)
    typed = (command.args or "").strip()
    matches = gazetteer.match_kelurahan(typed) if typed else []
    if len(matches) == 1:
        subscription = await subscriptions.subscribe(
            repo.session, user_id, now, kelurahan_id=matches[0].id
        )
        await replies.reply(message, subscribed_text(gazetteer, subscription))
    elif before is None:
        await subscriptions.subscribe(repo.session, user_id, now, keep_place=True)
        await replies.reply(
            message, choose_place_text(), reply_markup=kecamatan_keyboard(gazetteer)
        )
    else:
        if typed:
            await replies.reply(
                message, _("I know no kelurahan called “{typed}”.").format(typed=quote(typed[:60]))
            )
        place = (
            place_name(gazetteer, before.kelurahan_id)
            if before.kelurahan_id is not None
            else _("city-wide messages")
        )
        await replies.reply(
            message,
            _(
                "You are subscribed to awareness messages ({place}). To change your kelurahan, "
                "choose the kecamatan:"
            ).format(place=place),
            reply_markup=kecamatan_keyboard(gazetteer),
        )
    await _resume_report(bot, message.chat.id, state, gazetteer)


async def unsubscribe_command(
    message: Message,
    bot: Bot,
    repo: Repo,
    db_user: User,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    state: FSMContext,
) -> None:
    """/berhenti: no more awareness messages."""
    stopped = await subscriptions.unsubscribe(
        repo.session, db_user.id, options.clock.now(), reason="asked"
    )
    if stopped:
        await replies.reply(
            message,
            _(
                "🔕 You will no longer receive awareness messages. "
                "Send /langganan to subscribe again."
            ),
        )
    else:
        await replies.reply(
            message,
            _("You are not subscribed to awareness messages. Send /langganan to subscribe."),
        )
    await _resume_report(bot, message.chat.id, state, gazetteer)


async def _resume_report(bot: Bot, chat_id: int, state: FSMContext, gazetteer: Gazetteer) -> None:
    """Asked in the middle of a report: show its current question again (like /bantuan)."""
    if await flow.current_step(state) is not None:
        await flow.reprompt(bot, chat_id, state, gazetteer)


# --- blocking -----------------------------------------------------------------------------------


async def blocked_the_bot(
    event: ChatMemberUpdated, repo: Repo, db_user: User, options: ConversationOptions
) -> None:
    """The user blocked the bot (Telegram says "kicked"): stop awareness messages."""
    now = options.clock.now()
    await subscriptions.unsubscribe(repo.session, db_user.id, now, reason="blocked")
    # The update middleware took this update as a sign of life and cleared the mark; it is
    # the opposite: nothing can reach this chat until they unblock and write again.
    db_user.unreachable_at = day(now)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(subscribe_command, Command("langganan"))
    router.message.register(unsubscribe_command, Command("berhenti"))
    router.callback_query.register(said_yes, SubscribeCb.filter(F.action == "yes"))
    router.callback_query.register(said_no, SubscribeCb.filter(F.action == "no"))
    router.callback_query.register(browse, SubscribeCb.filter(F.action.in_({"top", "kec"})))
    router.callback_query.register(place_chosen, SubscribeCb.filter(F.action.in_({"kel", "city"})))
    router.my_chat_member.register(
        blocked_the_bot,
        PRIVATE_CHAT,
        Matches(F.new_chat_member.status == ChatMemberStatus.KICKED),
    )
    return router
