"""Offering awareness messages to a resident: after /start consent and after a report.

Outside the broadcasts package (whose /langganan handlers resume a report in progress), so
that consent and the report can offer it without an import circle.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import replies
from conversations.callbacks import SubscribeCb
from services import outbox, subscriptions


def offer_text() -> str:
    return _(
        "📣 <b>Awareness messages</b>\n"
        "Would you like to receive occasional messages from the service about safety, your "
        "rights and where to find help? They never mention any report. You can stop them at "
        "any time with /berhenti."
    )


def offer_markup() -> dict[str, Any]:
    """The keyboard in Bot API form, one button a row. Plain data: after every report it goes
    into an outbox row, and building it with aiogram's builder and models cost each Kirim
    about as much CPU as two SQL statements (README, "Benchmarks", figure 2)."""
    buttons = [
        (_("✅ Yes, send them to me"), SubscribeCb(action="yes").pack()),
        (_("No, thanks"), SubscribeCb(action="no").pack()),
    ]
    return {"inline_keyboard": [[{"text": text, "callback_data": data}] for text, data in buttons]}


def offer_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.model_validate(offer_markup())


async def offer_subscription(bot: Bot, chat_id: int, session: AsyncSession) -> None:
    """Ask whether they want awareness messages, unless they get them already."""
    if await subscriptions.current_of_chat(session, chat_id) is not None:
        return
    await replies.send(bot, chat_id, offer_text(), reply_markup=offer_keyboard())


async def queue_subscription_offer(session: AsyncSession, chat_id: int, *, dedupe_key: str) -> None:
    """The same offer, through the outbox: after a report it must queue behind the alerts."""
    if await subscriptions.current_of_chat(session, chat_id) is not None:
        return
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=outbox.message(offer_text(), offer_markup()),
        kind="subscription_offer",
        lane=outbox.Lane.NOTICE,
        dedupe_key=dedupe_key,
    )
