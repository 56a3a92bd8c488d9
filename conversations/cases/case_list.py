"""/kasus: the open cases an officer can act on (a coordinator: all), oldest first."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.options import ConversationOptions
from conversations.texts import STATUS_LABELS, label
from services import case_buttons as cb
from services.case_card import reported_text
from services.cases import open_cases
from services.roles import is_coordinator, is_officer, officer_kelurahan_ids
from services.statistics import area_counts
from storage.repositories import Repo

# One message, and Telegram's 100-button limit per keyboard.
SHOWN = 30


async def list_cases(message: Message, repo: Repo, options: ConversationOptions) -> None:
    assert message.from_user is not None
    user_id = message.from_user.id
    if not (await is_officer(repo.session, user_id) or await is_coordinator(repo.session, user_id)):
        await repo.audit.record("kasus_refused", actor_id=user_id)
        await replies.reply(message, _("This command is for officers and coordinators."))
        return
    cases = await open_cases(repo.session, user_id)
    await repo.audit.record("cases_listed", actor_id=user_id, count=len(cases))
    now = options.clock.now()
    summary = await _area_summary(repo, user_id, now)
    if not cases:
        await replies.reply(message, summary + "\n" + _("No open cases. 🌱"))
        return
    lines = [summary, _("<b>Open cases ({count})</b>").format(count=len(cases))]
    builder = InlineKeyboardBuilder()
    for report in cases[:SHOWN]:
        mine = report.owner_id == user_id
        marker = "🚨" if report.urgent else ("👤" if mine else "•")
        lines.append(
            f"{marker} <code>{report.code}</code> — {label(STATUS_LABELS, report.status)}, "
            + reported_text(report, now, get_i18n().current_locale)
        )
        builder.button(text=report.code, callback_data=CaseCb(action=cb.OPEN, report_id=report.id))
    if len(cases) > SHOWN:
        lines.append(_("… and {more} more.").format(more=len(cases) - SHOWN))
    builder.adjust(3)
    markup: InlineKeyboardMarkup = builder.as_markup()
    await replies.reply(message, "\n".join(lines), reply_markup=markup)


async def _area_summary(repo: Repo, user_id: int, now: datetime) -> str:
    """Counts for the officer's own kelurahan (a coordinator serving none: the whole city)."""
    areas = await officer_kelurahan_ids(repo.session, user_id)
    city_wide = not areas and await is_coordinator(repo.session, user_id)
    counts = await area_counts(repo.session, None if city_wide else areas, now)
    return _("📈 Open: {open} (new: {new}) · closed in the last 30 days: {closed}").format(
        open=counts.open, new=counts.new, closed=counts.closed_recently
    )


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(list_cases, Command("kasus"))
    return router
