"""Showing a case card in place of the message whose button was pressed."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from conversations import replies
from conversations.options import ConversationOptions
from services.case_views import card_for, shown
from storage.models import Report
from storage.repositories import Repo


async def card_markup(
    repo: Repo, report: Report, user_id: int, i18n: I18n, options: ConversationOptions
) -> tuple[str, InlineKeyboardMarkup | None]:
    text, keyboard = await card_for(
        repo.session, report, user_id, i18n.current_locale, options.timezone, options.clock.now()
    )
    markup = InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None
    return text, markup


async def show_card(
    callback: CallbackQuery,
    bot: Bot,
    repo: Repo,
    report: Report,
    i18n: I18n,
    options: ConversationOptions,
) -> None:
    """Edit the pressed message into the case card (or send it, if it cannot be edited), once
    the update has committed: the card shows what is stored. The message is remembered as a
    card of the case, so it follows the case's later changes (services/case_views.py)."""
    message = callback.message
    if message is not None and not isinstance(message, InaccessibleMessage) and message.text:
        await shown(repo.session, report.id, (callback.from_user.id, message.message_id))
    text, markup = await card_markup(repo, report, callback.from_user.id, i18n, options)
    await replies.replace_screen(callback, bot, text, markup)
