"""Choosing a kelurahan with buttons (kecamatan, then kelurahan), or from what was typed.

/undang and /jadwal share it; `purpose` in the callback data says whose choice it is.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations.staff.callbacks import PlaceCb
from services.gazetteer import Gazetteer, KelurahanEntry

# More than this many "did you mean" buttons is no longer helping: ask to type more.
MAX_CHOICES = 8


def kecamatan_keyboard(gazetteer: Gazetteer, purpose: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kecamatan in gazetteer.kecamatan_list():
        builder.button(
            text=kecamatan.name,
            callback_data=PlaceCb(purpose=purpose, level="kec", id=kecamatan.id),
        )
    builder.adjust(2)
    return builder.as_markup()


def kelurahan_keyboard(
    gazetteer: Gazetteer, purpose: str, kecamatan_id: int
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kelurahan in gazetteer.kelurahan_of(kecamatan_id):
        builder.button(
            text=kelurahan.name,
            callback_data=PlaceCb(purpose=purpose, level="kel", id=kelurahan.id),
        )
    builder.adjust(2)
    builder.row()
    builder.button(text=_("⬅️ Back"), callback_data=PlaceCb(purpose=purpose, level="top"))
    return builder.as_markup()


def choices_keyboard(
    gazetteer: Gazetteer, entries: list[KelurahanEntry], purpose: str
) -> InlineKeyboardMarkup:
    """The kelurahan a typed name could mean, each with its kecamatan to tell them apart."""
    builder = InlineKeyboardBuilder()
    for entry in entries[:MAX_CHOICES]:
        kecamatan = gazetteer.kecamatan(entry.kecamatan_id)
        text = f"{entry.name} · {kecamatan.name}" if kecamatan is not None else entry.name
        builder.button(text=text, callback_data=PlaceCb(purpose=purpose, level="kel", id=entry.id))
    builder.adjust(1)
    return builder.as_markup()


async def browse(
    callback: CallbackQuery, callback_data: PlaceCb, bot: Bot, gazetteer: Gazetteer
) -> None:
    """Move between the kecamatan list and one kecamatan's kelurahan, in the same message."""
    await callback.answer()
    if callback_data.level == "kec" and gazetteer.kecamatan(callback_data.id) is not None:
        markup = kelurahan_keyboard(gazetteer, callback_data.purpose, callback_data.id)
    else:
        markup = kecamatan_keyboard(gazetteer, callback_data.purpose)
    if callback.message is None:
        return
    # Pressing the same button twice would "edit" to the same keyboard: Telegram refuses that.
    with suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=callback.from_user.id,
            message_id=callback.message.message_id,
            reply_markup=markup,
        )
