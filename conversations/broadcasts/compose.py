"""/siaran: the coordinator writes the message to broadcast, in the chat, as recipients will
see it. The message itself stays where it is and is copied later (copyMessage), so Telegram's
own formatting, links and media arrive exactly as written."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.enums import ContentType
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.broadcasts import audience, history
from conversations.broadcasts.callbacks import BroadcastCb
from conversations.broadcasts.states import BroadcastForm
from conversations.filters import NOT_A_COMMAND
from conversations.options import ConversationOptions
from conversations.staff.filters import IsCoordinator
from services import broadcasts
from services.gazetteer import Gazetteer
from services.text_limits import CAPTION_LIMIT, MESSAGE_LIMIT, utf16_length
from storage.repositories import Repo

MEDIA = (ContentType.PHOTO, ContentType.VIDEO, ContentType.DOCUMENT)
HISTORY_WORDS = ("riwayat", "history")


def compose_text() -> str:
    return _(
        "📣 <b>New broadcast</b>\n\n"
        "Send me the message exactly as it should arrive: a text, or one photo, video or "
        "document with a caption. Telegram's formatting (bold, italic, links) is kept.\n\n"
        "Send /batal to stop."
    )


def compose_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📜 Recent broadcasts"), callback_data=BroadcastCb(action="hist"))
    return builder.as_markup()


async def broadcast_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    state: FSMContext,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    """/siaran starts a new broadcast; /siaran riwayat lists the recent ones."""
    if (command.args or "").strip().casefold() in HISTORY_WORDS:
        await history.show(bot, message.chat.id, repo, gazetteer, options)
        return
    await state.set_state(BroadcastForm.compose)
    await state.set_data({})
    await replies.reply(message, compose_text(), reply_markup=compose_keyboard())


def refusal(message: Message) -> str | None:
    """Why this message cannot be broadcast, or None if it can."""
    if message.content_type == ContentType.TEXT:
        text = message.text or ""
        if not text.strip():
            return _("The message is empty. Please write the text to broadcast.")
        if utf16_length(text) > MESSAGE_LIMIT:
            return _(
                "The text is too long: {length} characters, Telegram allows {limit}. "
                "Please shorten it and send it again."
            ).format(length=utf16_length(text), limit=MESSAGE_LIMIT)
        return None
    if message.content_type not in MEDIA:
        return _(
            "This kind of message cannot be broadcast. Send a text, or one photo, video or "
            "document with a caption."
        )
    if message.media_group_id is not None:
        return _("Albums cannot be broadcast. Please send one photo, video or document.")
    caption = message.caption or ""
    if utf16_length(caption) > CAPTION_LIMIT:
        return _(
            "The caption is too long: {length} characters, Telegram allows {limit} under a "
            "photo, video or document. Please shorten it, or send the text on its own."
        ).format(length=utf16_length(caption), limit=CAPTION_LIMIT)
    return None


async def message_received(
    message: Message,
    state: FSMContext,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    """The message to broadcast: kept as a draft, then the audience is asked."""
    assert message.from_user is not None
    problem = refusal(message)
    if problem is not None:
        if message.media_group_id is not None:
            # An album arrives as several messages: one refusal is enough.
            data = await state.get_data()
            if data.get("refused_album") == message.media_group_id:
                return
            await state.update_data(refused_album=message.media_group_id)
        await replies.reply(message, problem)
        return
    draft = await broadcasts.create_draft(
        repo.session,
        created_by=message.from_user.id,
        chat_id=message.chat.id,
        message_id=message.message_id,
        now=options.clock.now(),
    )
    await state.clear()
    text, markup = await audience.menu(repo, draft.id)
    await replies.reply(message, text, reply_markup=markup)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(broadcast_command, Command("siaran"), IsCoordinator())
    router.message.register(
        message_received, StateFilter(BroadcastForm.compose), NOT_A_COMMAND, IsCoordinator()
    )
    return router
