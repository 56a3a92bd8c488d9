"""`/start <code>`: someone opens an officer invitation link.

Only /start with a payload lands here (CommandStart(deep_link=True)); a plain /start goes on
to the resident's welcome. The payload is treated as an invite code whatever it looks like:
the service refuses anything it never issued.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.options import ConversationOptions
from conversations.staff.menu import show_staff_menu
from conversations.staff.texts import officer_name, place_name
from services.duty import is_on_duty
from services.gazetteer import Gazetteer
from services.invites import Redeemed, Refusal, redeem_invite
from storage.repositories import Repo


def refusal_text(reason: Refusal) -> str:
    texts = {
        Refusal.USED: _(
            "This invitation link has already been used. Each link works only once: "
            "please ask your coordinator for a new one."
        ),
        Refusal.EXPIRED: _(
            "This invitation link has expired (links are valid for 48 hours). "
            "Please ask your coordinator for a new one."
        ),
        Refusal.UNKNOWN: _(
            "This link is not a valid invitation. Please check that you opened the whole link "
            "your coordinator sent you, or ask for a new one."
        ),
    }
    text = texts.get(reason, texts[Refusal.USED])
    return text + "\n\n" + _("To use Lapor Aman as a resident, send /start.")


def used_by_you_text(place: str) -> str:
    return _(
        "You opened this invitation before: you are an officer of {place}. "
        "Each link works only once, and you need no other.\n\n"
        "/kasus — the open cases of your kelurahan\n"
        "/piket — go on or off duty"
    ).format(place=place)


def welcome_text(name: str, place: str, already: bool, on_duty: bool) -> str:
    if already:
        intro = _("👋 Welcome back, {name}. You were already an officer of {place}.")
    else:
        intro = _("👋 Welcome, {name}! You are now an officer (petugas) of {place}.")
    if on_duty:
        # The roster may have been imported before they ever opened the bot.
        duty = _("🟢 The duty roster has you on duty right now.")
    else:
        duty = _("⚪️ You are not on duty now. Send /piket when you are ready to receive reports.")
    return (
        intro.format(name=name, place=place)
        + "\n\n"
        + duty
        + "\n\n"
        + _(
            "<b>How it works</b>\n"
            "• Reports from your kelurahan come to this chat while you are on duty, following "
            "the duty roster set by your coordinator.\n"
            "• /piket — go on or off duty outside the roster (for example when you are ill, "
            "or to help out). I will tell you until when.\n"
            "• /kasus — the open cases of your kelurahan.\n"
            "• When an alert comes, press <b>✅ Accept</b> to take the case.\n\n"
            "Please keep this chat private: it will hold reports about people who need help."
        )
    )


async def redeem(
    message: Message,
    command: CommandObject,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    user = message.from_user
    if user is None:
        return
    now = options.clock.now()
    result = await redeem_invite(
        repo.session, command.args or "", user_id=user.id, display_name=user.first_name, now=now
    )
    if not isinstance(result, Redeemed):
        if result.reason == Refusal.USED_BY_YOU and result.kelurahan_id is not None:
            place = place_name(gazetteer, result.kelurahan_id)
            await replies.reply(message, used_by_you_text(place))
            return
        await replies.reply(message, refusal_text(result.reason))
        return
    place = place_name(gazetteer, result.kelurahan_id)
    name = officer_name(user.first_name, user.id)
    on_duty = await is_on_duty(repo.session, user.id, now, options.timezone)
    await replies.reply(message, welcome_text(name, place, result.already_bound, on_duty))
    await show_staff_menu(bot, message.chat.id, result.role, serves=True)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(redeem, CommandStart(deep_link=True))
    return router
