"""Choosing who receives a draft broadcast, then the preview.

The preview is the message copied back to the coordinator with the same copyMessage call the
recipients get, so what they see here is what arrives; under it, the number of recipients
right now (the real list is taken when the sending starts).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.broadcasts.callbacks import BroadcastCb
from conversations.broadcasts.texts import audience_text
from conversations.staff.filters import IsCoordinator
from services import broadcasts
from services.broadcasts import Audience
from services.gazetteer import Gazetteer
from storage.models import Broadcast
from storage.repositories import Repo
from storage.session_context import once_committed

# The audience codes in the buttons (short: callback data is 64 bytes at most).
TARGETS = {
    "all": broadcasts.ALL,
    "kec": broadcasts.KECAMATAN,
    "kel": broadcasts.KELURAHAN,
    "off": broadcasts.OFFICERS,
}


def source_missing_text() -> str:
    return _(
        "⚠️ I cannot find the message you wrote for this broadcast any more (was it "
        "deleted?), so nothing can be copied from it and nothing was sent. "
        "Send /siaran to write it again."
    )


def gone_text() -> str:
    return _("This broadcast was already sent, scheduled or cancelled.")


async def menu(repo: Repo, broadcast_id: int) -> tuple[str, InlineKeyboardMarkup]:
    session = repo.session
    everyone = await broadcasts.count_recipients(session, Audience(broadcasts.ALL))
    officers = await broadcasts.count_recipients(session, Audience(broadcasts.OFFICERS))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("👥 All subscribers ({count})").format(count=everyone),
        callback_data=BroadcastCb(action="aud", id=broadcast_id, target="all"),
    )
    builder.button(
        text=_("🏙 Subscribers in a kecamatan"),
        callback_data=BroadcastCb(action="pick", id=broadcast_id, target="kec"),
    )
    builder.button(
        text=_("🏘 Subscribers in a kelurahan"),
        callback_data=BroadcastCb(action="pick", id=broadcast_id, target="kel"),
    )
    builder.button(
        text=_("👮 Officers ({count})").format(count=officers),
        callback_data=BroadcastCb(action="aud", id=broadcast_id, target="off"),
    )
    builder.button(text=_("❌ Cancel"), callback_data=BroadcastCb(action="drop", id=broadcast_id))
    builder.adjust(1)
    return _("👥 Who should receive it?"), builder.as_markup()


async def kecamatan_list(
    repo: Repo, gazetteer: Gazetteer, broadcast_id: int, target: str
) -> InlineKeyboardMarkup:
    """For "kec": each kecamatan is the audience; for "kel": it opens its kelurahan."""
    builder = InlineKeyboardBuilder()
    for kecamatan in gazetteer.kecamatan_list():
        if target == "kec":
            count = await broadcasts.count_recipients(
                repo.session, Audience(broadcasts.KECAMATAN, kecamatan.id)
            )
            builder.button(
                text=f"{kecamatan.name} ({count})",
                callback_data=BroadcastCb(
                    action="aud", id=broadcast_id, target="kec", place=kecamatan.id
                ),
            )
        else:
            builder.button(
                text=kecamatan.name,
                callback_data=BroadcastCb(
                    action="pick", id=broadcast_id, target="kel", place=kecamatan.id
                ),
            )
    builder.adjust(2)
    builder.row()
    builder.button(text=_("⬅️ Back"), callback_data=BroadcastCb(action="pick", id=broadcast_id))
    return builder.as_markup()


async def kelurahan_list(
    repo: Repo, gazetteer: Gazetteer, broadcast_id: int, kecamatan_id: int
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kelurahan in gazetteer.kelurahan_of(kecamatan_id):
        count = await broadcasts.count_recipients(
            repo.session, Audience(broadcasts.KELURAHAN, kelurahan.id)
        )
        builder.button(
            text=f"{kelurahan.name} ({count})",
            callback_data=BroadcastCb(
                action="aud", id=broadcast_id, target="kel", place=kelurahan.id
            ),
        )
    builder.adjust(2)
    builder.row()
    builder.button(
        text=_("⬅️ Back"), callback_data=BroadcastCb(action="pick", id=broadcast_id, target="kel")
    )
    return builder.as_markup()


async def pick(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
) -> None:
    """Move through the audience menu: the main list, the kecamatan, one kecamatan's kelurahan."""
    broadcast = await repo.session.get(Broadcast, callback_data.id)
    if broadcast is None or broadcast.status != broadcasts.DRAFT:
        await replies.answer(callback, gone_text(), show_alert=True)
        return
    await replies.answer(callback)
    target, place = callback_data.target, callback_data.place
    if target == "kel" and gazetteer.kecamatan(place) is not None:
        text = _("🏘 Which kelurahan?")
        markup = await kelurahan_list(repo, gazetteer, broadcast.id, place)
    elif target in ("kec", "kel"):
        text = _("🏙 Which kecamatan?")
        markup = await kecamatan_list(repo, gazetteer, broadcast.id, target)
    else:
        text, markup = await menu(repo, broadcast.id)
    await replies.replace_screen(callback, bot, text, markup)


async def chosen(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
) -> None:
    """An audience was chosen: show the preview and the recipient count."""
    kind = TARGETS.get(callback_data.target)
    place = callback_data.place or None
    if kind is None or not _place_exists(gazetteer, kind, place):
        await replies.answer(callback, _("This button is no longer active."))
        return
    chosen_audience = Audience(
        kind, place if kind in (broadcasts.KECAMATAN, broadcasts.KELURAHAN) else None
    )
    broadcast = await broadcasts.choose_audience(repo.session, callback_data.id, chosen_audience)
    if broadcast is None:
        await replies.answer(callback, gone_text(), show_alert=True)
        return
    await replies.answer(callback)
    described = audience_text(gazetteer, kind, chosen_audience.place_id)
    await replies.replace_screen(
        callback, bot, _("👥 Audience: {audience}").format(audience=described), None
    )
    await preview(bot, callback.from_user.id, repo, gazetteer, broadcast)


def _place_exists(gazetteer: Gazetteer, kind: str, place: int | None) -> bool:
    if kind == broadcasts.KECAMATAN:
        return place is not None and gazetteer.kecamatan(place) is not None
    if kind == broadcasts.KELURAHAN:
        return place is not None and gazetteer.kelurahan(place) is not None
    return True


async def preview(
    bot: Bot, chat_id: int, repo: Repo, gazetteer: Gazetteer, broadcast: Broadcast
) -> None:
    """The message exactly as recipients get it, then the count and the choices."""
    chosen_audience = Audience.of(broadcast)
    count = await broadcasts.count_recipients(repo.session, chosen_audience)
    text = _(
        "👆 This is exactly how recipients will see the message.\n\n"
        "<b>Audience:</b> {audience}\n"
        "<b>Recipients now:</b> {count}"
    ).format(
        audience=audience_text(gazetteer, broadcast.audience, broadcast.audience_id),
        count=count,
    )
    builder = InlineKeyboardBuilder()
    if count:
        builder.button(
            text=_("📤 Send now"), callback_data=BroadcastCb(action="send", id=broadcast.id)
        )
        builder.button(
            text=_("🕒 Schedule"), callback_data=BroadcastCb(action="when", id=broadcast.id)
        )
    else:
        text += "\n\n" + _("Nobody is in this audience yet. Please choose another one.")
    builder.button(
        text=_("👥 Change the audience"), callback_data=BroadcastCb(action="pick", id=broadcast.id)
    )
    builder.button(text=_("❌ Cancel"), callback_data=BroadcastCb(action="drop", id=broadcast.id))
    builder.adjust(2 if count else 1)
    markup = builder.as_markup()
    source_chat_id, source_message_id = broadcast.source_chat_id, broadcast.source_message_id
    missing = source_missing_text()

    async def show() -> None:
        # One action, so the choices (Send) only follow a preview that arrived. The draft of
        # a message that is gone stays a draft, listed nowhere and offering no Send.
        try:
            await bot.copy_message(
                chat_id=chat_id, from_chat_id=source_chat_id, message_id=source_message_id
            )
        except TelegramBadRequest as error:
            if broadcasts.SOURCE_GONE not in error.message:
                raise
            await bot.send_message(chat_id, missing)
            return
        await bot.send_message(chat_id, text, reply_markup=markup)

    await once_committed(show)


def setup() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(pick, BroadcastCb.filter(F.action == "pick"), IsCoordinator())
    router.callback_query.register(chosen, BroadcastCb.filter(F.action == "aud"), IsCoordinator())
    return router
