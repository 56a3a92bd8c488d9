"""/hapus (delete this chat's messages) and /hapusdata (erase personal data), each asked first."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.callbacks import EraseCb
from services.privacy import erase_personal_data
from storage.repositories import Repo

# deleteMessages takes at most 100 ids per call.
DELETE_BATCH = 100


async def delete_chat_command(message: Message) -> None:
    """/hapus: ask first. The tracking code goes with the messages, and a report that keeps
    no link to this chat can be found again only with that code."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🧹 Yes, delete them"), callback_data=EraseCb(action="wipe"))
    builder.button(text=_("Keep the messages"), callback_data=EraseCb(action="nowipe"))
    builder.adjust(1)
    await replies.reply(
        message,
        _(
            "<b>Delete this chat's messages?</b>\n"
            "Every message of this chat from the last 48 hours is deleted from your phone, "
            "yours and ours, tracking codes included, and so is a report you have not sent "
            "yet. If you sent a report and chose not to be contacted here, its tracking code "
            "is the only way back to it: write the code down somewhere safe first."
        ),
        reply_markup=builder.as_markup(),
    )


async def delete_chat(callback: CallbackQuery, bot: Bot, repo: Repo, state: FSMContext) -> None:
    """Confirmed: delete every message of this chat that Telegram still lets us delete, and a
    report left half-written: nothing of it stays for the next person holding the phone."""
    await state.clear()
    chat_id = callback.from_user.id
    ids = await repo.messages.deletable(chat_id)
    if callback.message is not None and callback.message.message_id not in ids:
        ids.append(callback.message.message_id)
    await replies.answer(callback)
    deleted = 0
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        try:
            await bot.delete_messages(chat_id, batch)
            deleted += len(batch)
        except TelegramBadRequest:
            # Some were already gone or too old: fall back to one by one for this batch.
            for message_id in batch:
                try:
                    await bot.delete_message(chat_id, message_id)
                    deleted += 1
                except TelegramBadRequest:
                    continue
    # The deletions happen inside the update, unlike its reply: the ids are forgotten in the
    # same transaction, so they must only be forgotten once deleting them was tried.
    await repo.messages.forget_chat(chat_id)
    await repo.audit.record("chat_deleted", actor_id=None, messages=deleted)
    # Worded so that a glance at the phone reveals nothing.
    await replies.send(
        bot,
        chat_id,
        _(
            "🧹 Done. Messages older than 48 hours can only be deleted by you: "
            "press and hold the chat in your chat list and choose Delete."
        ),
    )


async def delete_chat_declined(callback: CallbackQuery, bot: Bot) -> None:
    await replies.answer(callback)
    await replies.replace_screen(callback, bot, _("Nothing was deleted."), None)


async def erase_data_command(message: Message) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🗑 Yes, erase my data"), callback_data=EraseCb(action="confirm"))
    builder.button(text=_("Keep my data"), callback_data=EraseCb(action="keep"))
    builder.adjust(1)
    await replies.reply(
        message,
        _(
            "<b>Erase your personal data?</b>\n"
            "We will delete your name, phone number, language choice, any report in progress "
            "and every link between your reports and this chat. The reports themselves stay, "
            "without your identity, so the people involved can still be helped. You will no "
            "longer receive updates about them; your tracking codes still work."
        ),
        reply_markup=builder.as_markup(),
    )


async def erase_confirmed(callback: CallbackQuery, bot: Bot, repo: Repo, state: FSMContext) -> None:
    await state.clear()
    erased = await erase_personal_data(repo, callback.from_user.id)
    # After the commit, and a button Telegram will not edit any more changes nothing: the
    # erasure must not be rolled back for the sake of a keyboard.
    await replies.answer(callback)
    await replies.edit_markup(callback, bot, None)
    await replies.send(
        bot,
        callback.from_user.id,
        ngettext(
            "Your personal data has been erased ({count} report was unlinked from you). "
            "Send /start if you want to use the service again.",
            "Your personal data has been erased ({count} reports were unlinked from you). "
            "Send /start if you want to use the service again.",
            erased.reports,
        ).format(count=erased.reports),
    )


async def erase_declined(callback: CallbackQuery) -> None:
    await replies.answer(callback, _("Nothing was erased."))


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(delete_chat_command, Command("hapus"))
    router.callback_query.register(delete_chat, EraseCb.filter(F.action == "wipe"))
    router.callback_query.register(delete_chat_declined, EraseCb.filter(F.action == "nowipe"))
    router.message.register(erase_data_command, Command("hapusdata"))
    router.callback_query.register(erase_confirmed, EraseCb.filter(F.action == "confirm"))
    router.callback_query.register(erase_declined, EraseCb.filter(F.action == "keep"))
    return router
