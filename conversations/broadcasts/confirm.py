"""The end of the /siaran wizard: send now, schedule for a typed local time, or discard.

Pressing Send twice sends once: the draft becomes "scheduled" in one compare-and-set UPDATE
(services/broadcasts.send_at), and the second press finds it no longer a draft.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.broadcasts.audience import gone_text
from conversations.broadcasts.callbacks import BroadcastCb, CancelBroadcastCb
from conversations.broadcasts.states import BroadcastForm
from conversations.broadcasts.texts import audience_text
from conversations.filters import NOT_A_COMMAND, TEXT
from conversations.options import ConversationOptions
from conversations.staff.filters import IsCoordinator
from conversations.staff.texts import local_moment, zone_name
from services import broadcasts
from services.broadcast_texts import cancel_button_text
from services.broadcast_time import WhenError, WhenProblem, parse_when
from services.gazetteer import Gazetteer
from storage.models import Broadcast
from storage.repositories import Repo


def cancel_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=cancel_button_text(_, broadcast_id),
        callback_data=CancelBroadcastCb(id=broadcast_id),
    )
    return builder.as_markup()


async def _close(callback: CallbackQuery, bot: Bot, text: str) -> None:
    """Turn the pressed screen into a plain record of what was decided (no more buttons), once
    the decision is stored."""
    await replies.replace_screen(callback, bot, text, None)


async def _draft(repo: Repo, broadcast_id: int) -> Broadcast | None:
    broadcast = await repo.session.get(Broadcast, broadcast_id)
    return broadcast if broadcast is not None and broadcast.status == broadcasts.DRAFT else None


async def send_now(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    broadcast = await broadcasts.send_at(
        repo.session, callback_data.id, options.clock.now(), actor_id=callback.from_user.id
    )
    if broadcast is None:
        await replies.answer(callback, gone_text(), show_alert=True)
        return
    await replies.answer(callback, _("Sending"))
    await _close(
        callback,
        bot,
        _(
            "📤 <b>Broadcast #{id}</b> is on its way to {audience}. Its progress will appear below."
        ).format(
            id=broadcast.id,
            audience=audience_text(gazetteer, broadcast.audience, broadcast.audience_id),
        ),
    )


def when_help() -> str:
    return _(
        "Type the date and time like <code>28-11-2026 09:00</code>, "
        "or <code>besok 09:00</code> for tomorrow."
    )


async def ask_when(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    bot: Bot,
    repo: Repo,
    state: FSMContext,
    options: ConversationOptions,
) -> None:
    if await _draft(repo, callback_data.id) is None:
        await replies.answer(callback, gone_text(), show_alert=True)
        return
    await replies.answer(callback)
    await state.set_state(BroadcastForm.when)
    await state.set_data({"broadcast_id": callback_data.id})
    zone = zone_name(options.timezone, options.clock.now())
    await replies.send(
        bot,
        callback.from_user.id,
        _("🕒 When should broadcast #{id} be sent? Local time ({zone}).").format(
            id=callback_data.id, zone=zone
        )
        + "\n"
        + when_help()
        + "\n"
        + _("Send /batal to stop."),
    )


async def when_typed(
    message: Message,
    repo: Repo,
    state: FSMContext,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    assert message.from_user is not None
    now = options.clock.now()
    try:
        at = parse_when(message.text or "", now, options.timezone)
    except WhenError as error:
        await replies.reply(message, _when_problem(error.problem))
        return
    broadcast_id = int((await state.get_data()).get("broadcast_id", 0))
    await state.clear()
    broadcast = await broadcasts.send_at(
        repo.session, broadcast_id, at, actor_id=message.from_user.id
    )
    if broadcast is None:
        await replies.reply(message, gone_text())
        return
    await replies.reply(
        message,
        _(
            "🕒 <b>Broadcast #{id}</b> will be sent {moment} to {audience}.\n"
            "Please keep your original message in this chat until then: "
            "the broadcast is a copy of it."
        ).format(
            id=broadcast.id,
            moment=local_moment(at, now, options.timezone),
            audience=audience_text(gazetteer, broadcast.audience, broadcast.audience_id),
        ),
        reply_markup=cancel_keyboard(broadcast.id),
    )


def _when_problem(problem: WhenProblem) -> str:
    if problem == WhenProblem.PAST:
        return (
            _("That moment has already passed. Please type one in the future.") + "\n" + when_help()
        )
    if problem == WhenProblem.TOO_FAR:
        return _("That is more than a year ahead. Please check the date.") + "\n" + when_help()
    return _("I could not read that date and time.") + "\n" + when_help()


async def when_expected(message: Message) -> None:
    await replies.reply(
        message,
        _("Please type the date and time as text, or send /batal to stop.") + "\n" + when_help(),
    )


async def discard(
    callback: CallbackQuery, callback_data: BroadcastCb, bot: Bot, repo: Repo
) -> None:
    if await broadcasts.discard(repo.session, callback_data.id) is None:
        await replies.answer(callback, gone_text(), show_alert=True)
        return
    await replies.answer(callback)
    await _close(callback, bot, _("Broadcast discarded. Nothing was sent."))


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        send_now, BroadcastCb.filter(F.action == "send"), IsCoordinator()
    )
    router.callback_query.register(
        ask_when, BroadcastCb.filter(F.action == "when"), IsCoordinator()
    )
    router.callback_query.register(discard, BroadcastCb.filter(F.action == "drop"), IsCoordinator())
    router.message.register(
        when_typed, StateFilter(BroadcastForm.when), TEXT, NOT_A_COMMAND, IsCoordinator()
    )
    router.message.register(
        when_expected, StateFilter(BroadcastForm.when), NOT_A_COMMAND, IsCoordinator()
    )
    return router
