"""/kasus: the open cases an officer can act on (a coordinator: all), oldest first."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations.callbacks import CaseCb
from conversations.options import ConversationOptions
from conversations.texts import STATUS_LABELS, label
from services import case_buttons as cb
from services.case_card import age_text
from services.cases import open_cases
from services.roles import is_coordinator, is_officer
from storage.repositories import Repo

# One message, and Telegram's 100-button limit per keyboard.
SHOWN = 30


async def list_cases(message: Message, repo: Repo, options: ConversationOptions) -> None:
    assert message.from_user is not None
    user_id = message.from_user.id
    if not (await is_officer(repo.session, user_id) or await is_coordinator(repo.session, user_id)):
        await repo.audit.record("kasus_refused", actor_id=user_id)
        await message.answer(_("This command is for officers and coordinators."))
        return
    cases = await open_cases(repo.session, user_id)
    await repo.audit.record("cases_listed", actor_id=user_id, count=len(cases))
    if not cases:
        await message.answer(_("No open cases. 🌱"))
        return
    now = options.clock.now()
    lines = [_("<b>Open cases ({count})</b>").format(count=len(cases))]
    builder = InlineKeyboardBuilder()
    for report in cases[:SHOWN]:
        mine = report.owner_id == user_id
        marker = "🚨" if report.urgent else ("👤" if mine else "•")
        lines.append(
            f"{marker} <code>{report.code}</code> — {label(STATUS_LABELS, report.status)}, "
            + _("{age} ago").format(age=age_text(report, now, _))
        )
        builder.button(text=report.code, callback_data=CaseCb(action=cb.OPEN, report_id=report.id))
    if len(cases) > SHOWN:
        lines.append(_("… and {more} more.").format(more=len(cases) - SHOWN))
    builder.adjust(3)
    markup: InlineKeyboardMarkup = builder.as_markup()
    await message.answer("\n".join(lines), reply_markup=markup)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(list_cases, Command("kasus"))
    return router
