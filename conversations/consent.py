"""Consent before the first report: a short, plain privacy note and an explicit "I agree"."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.callbacks import ConsentCb
from conversations.menu import main_menu
from conversations.privacy_notice import privacy_notice
from conversations.subscription_offer import offer_subscription
from storage.models import User
from storage.repositories import Repo

AGREE = "agree"
AGREE_THEN_REPORT = "agree_report"
READ_PRIVACY = "privacy"


def consent_text() -> str:
    return _(
        "👋 <b>Welcome to Lapor Aman</b>, the reporting service of Kota Palangka Raya for "
        "violence against women and children, human trafficking and children in conflict with "
        "the law.\n\n"
        "<b>Before you start:</b>\n"
        "• You can report anonymously. We only keep what you choose to tell us, encrypted.\n"
        "• Who reads your report: the officers on duty for the kelurahan where it happened "
        "(if none is on duty, those of its kecamatan) and the service's coordinators at the "
        "city. Each time someone opens it, that is recorded.\n"
        "• Telegram itself can see that you use this bot. To remove this chat from your phone, "
        "send /hapus at any time.\n\n"
        "Do you agree that we store and process your report for this purpose "
        "(UU 27/2022 on personal data)?"
    )


async def ask_consent(bot: Bot, chat_id: int, *, then_report: bool = False) -> None:
    agree = ConsentCb(action=AGREE_THEN_REPORT if then_report else AGREE).pack()
    privacy = ConsentCb(action=READ_PRIVACY).pack()
    # Rows built directly: aiogram's builder copies its markup for each button it adds.
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("✅ I agree"), callback_data=agree)],
            [InlineKeyboardButton(text=_("🔒 Read the privacy notice"), callback_data=privacy)],
        ]
    )
    await replies.send(bot, chat_id, consent_text(), reply_markup=markup)


async def record_consent(repo: Repo, db_user: User) -> bool:
    """Store the resident's consent; True the first time they give it."""
    if db_user.consented_at is not None:
        return False
    await repo.users.give_consent(db_user)
    await repo.audit.record("consent_given", actor_id=None)
    return True


async def agreed(callback: CallbackQuery, bot: Bot, repo: Repo, db_user: User) -> None:
    """ "I agree" after /start: the main menu, and the first time the awareness messages' offer.
    The same button asked for by /lapor starts the report instead (conversations/report/entry)."""
    await replies.answer(callback, _("Thank you"))
    first_time = await record_consent(repo, db_user)
    await replies.send(
        bot,
        callback.from_user.id,
        _("What would you like to do?"),
        reply_markup=main_menu(),
    )
    if first_time:
        await offer_subscription(bot, callback.from_user.id, repo.session)


async def read_privacy(callback: CallbackQuery, bot: Bot) -> None:
    await replies.answer(callback)
    await replies.send(bot, callback.from_user.id, privacy_notice())


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(agreed, ConsentCb.filter(F.action == AGREE))
    router.callback_query.register(read_privacy, ConsentCb.filter(F.action == READ_PRIVACY))
    return router
