"""Choosing a kelurahan with buttons (kecamatan, then kelurahan), or from what was typed.

/undang and /jadwal share it; `purpose` in the callback data says whose choice it is.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.staff.callbacks import PlaceCb
from conversations.texts import quote
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
    await replies.answer(callback)
    if callback_data.level == "kec" and gazetteer.kecamatan(callback_data.id) is not None:
        markup = kelurahan_keyboard(gazetteer, callback_data.purpose, callback_data.id)
    else:
        markup = kecamatan_keyboard(gazetteer, callback_data.purpose)
    await replies.edit_markup(callback, bot, markup)


async def kelurahan_from_command(
    message: Message, typed: str, gazetteer: Gazetteer, purpose: str, ask: str
) -> int | None:
    """The kelurahan named after a command; otherwise None, once the coordinator has been
    asked to choose (`ask` when nothing was typed, the buttons of near matches when several)."""
    if not typed:
        await replies.reply(message, ask, reply_markup=kecamatan_keyboard(gazetteer, purpose))
        return None
    matches = gazetteer.match_kelurahan(typed)
    if not matches:
        await replies.reply(
            message,
            _("I know no kelurahan called “{typed}”. Choose the kecamatan:").format(
                typed=quote(typed[:60])
            ),
            reply_markup=kecamatan_keyboard(gazetteer, purpose),
        )
        return None
    if len(matches) > 1:
        await replies.reply(
            message,
            _("“{typed}” could be several kelurahan. Which one?").format(typed=quote(typed[:60])),
            reply_markup=choices_keyboard(gazetteer, matches, purpose),
        )
        return None
    return matches[0].id


async def kelurahan_from_button(
    callback: CallbackQuery, callback_data: PlaceCb, bot: Bot, gazetteer: Gazetteer
) -> int | None:
    """The kelurahan a picker button chose; None while browsing kecamatan or for a button of
    a kelurahan that no longer exists (answered here)."""
    if callback_data.level != "kel":
        await browse(callback, callback_data, bot, gazetteer)
        return None
    if gazetteer.kelurahan(callback_data.id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return None
    await replies.answer(callback)
    return callback_data.id
