"""/piket: an officer goes on or off duty by hand, and is told until when (services/duty.py)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.options import ConversationOptions
from conversations.staff.filters import IsOfficer
from conversations.staff.texts import local_moment, place_list
from services.duty import DutyState, NoKelurahan, toggle_duty
from services.gazetteer import Gazetteer
from storage.repositories import Repo


def duty_text(state: DutyState, gazetteer: Gazetteer, options: ConversationOptions) -> str:
    until = local_moment(state.until, options.clock.now(), options.timezone)
    if state.until_shift_end:
        until = _("{until} (the end of your shift)").format(until=until)
    kelurahan = place_list(gazetteer, state.kelurahan_ids)
    if state.on_duty:
        return _(
            "🟢 <b>You are on duty</b> until {until}.\n"
            "Kelurahan: {kelurahan}\n"
            "New reports from there come to this chat. Send /piket again to go off duty."
        ).format(until=until, kelurahan=kelurahan)
    return _(
        "⚪️ <b>You are off duty</b> until {until}.\n"
        "Kelurahan: {kelurahan}\n"
        "No new reports come to you until then; after that the duty roster applies again. "
        "Send /piket to go back on duty."
    ).format(until=until, kelurahan=kelurahan)


async def piket_command(
    message: Message, repo: Repo, gazetteer: Gazetteer, options: ConversationOptions
) -> None:
    assert message.from_user is not None
    try:
        state = await toggle_duty(
            repo.session, message.from_user.id, options.clock.now(), options.timezone
        )
    except NoKelurahan:
        await replies.reply(
            message, _("You are not assigned to any kelurahan yet. Please ask your coordinator.")
        )
        return
    await replies.reply(message, duty_text(state, gazetteer, options))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(piket_command, Command("piket"), IsOfficer())
    return router
