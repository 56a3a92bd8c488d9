"""Group chats: the bot works in private chats only.

Everything a resident or a staff member does here (a report, /status, /kasus, the case
buttons) is for one person's eyes, so nothing of it is answered where others read along. A
command addressed to the bot gets one short line pointing to the private chat, the same for
everyone (it says nothing of who is staff); anything else gets no answer at all.
"""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.filters import PRIVATE_CHAT


async def command_in_a_group(message: Message) -> None:
    text = _("🔒 I only work in a private chat. Please write to me directly.")
    await replies.reply(message, text)


def setup() -> Router:
    router = Router(name=__name__)
    # Any command addressed to this bot (Command checks a /command@name is ours).
    router.message.register(command_in_a_group, ~PRIVATE_CHAT, Command(re.compile(r".+")))
    return router
