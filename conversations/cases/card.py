"""Showing a case card in place of the message whose button was pressed."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from conversations import replies
from conversations.options import ConversationOptions
from services.case_card import case_card
from services.cases import display_name
from storage.models import Report
from storage.repositories import Repo


async def card_for(
    repo: Repo, report: Report, i18n: I18n, options: ConversationOptions
) -> tuple[str, InlineKeyboardMarkup | None]:
    owner = await display_name(repo.session, report.owner_id) if report.owner_id else None
    text, keyboard = case_card(
        report, i18n.current_locale, options.timezone, owner, options.clock.now()
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
    the update has committed: the card shows what is stored."""
    text, markup = await card_for(repo, report, i18n, options)
    await replies.replace_screen(callback, bot, text, markup)
