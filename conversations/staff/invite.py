"""/undang <kelurahan>: a coordinator makes a one-time invitation link for a new officer."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.options import ConversationOptions
from conversations.staff import places
from conversations.staff.callbacks import PlaceCb
from conversations.staff.filters import IsCoordinator
from conversations.staff.texts import local_moment, place_name
from conversations.texts import quote
from services.gazetteer import Gazetteer
from services.invites import create_invite
from storage.repositories import Repo

PURPOSE = "inv"


def ask_kelurahan_text() -> str:
    return _(
        "Which kelurahan is the new officer for? Choose the kecamatan, "
        "or send /undang followed by the kelurahan's name, e.g. <code>/undang Menteng</code>."
    )


async def invite_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    typed = (command.args or "").strip()
    chosen = await places.kelurahan_from_command(
        message, typed, gazetteer, PURPOSE, ask_kelurahan_text()
    )
    if chosen is not None:
        await send_invite(bot, message.chat.id, repo, gazetteer, options, chosen)


async def place_chosen(
    callback: CallbackQuery,
    callback_data: PlaceCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    chosen = await places.kelurahan_from_button(callback, callback_data, bot, gazetteer)
    if chosen is not None:
        await send_invite(bot, callback.from_user.id, repo, gazetteer, options, chosen)


async def send_invite(
    bot: Bot,
    chat_id: int,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    kelurahan_id: int,
) -> None:
    now = options.clock.now()
    invite = await create_invite(
        repo.session, kelurahan_id=kelurahan_id, created_by=chat_id, now=now
    )
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={invite.code}"
    text = _(
        "🔗 <b>Officer invitation for {place}</b>\n\n"
        "{link}\n\n"
        "Valid for one person, once, until {expires}.\n"
        "⚠️ Send it privately to the new officer only, never in a group: whoever opens it "
        "first becomes an officer and will receive reports."
    ).format(
        place=place_name(gazetteer, kelurahan_id),
        link=quote(link),
        expires=local_moment(invite.expires_at, now, options.timezone),
    )
    # No preview: it would only show the bot's own card, and makes the link easy to misforward.
    await replies.send(
        bot, chat_id, text, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(invite_command, Command("undang"), IsCoordinator())
    router.callback_query.register(
        place_chosen, PlaceCb.filter(F.purpose == PURPOSE), IsCoordinator()
    )
    return router
