"""/petugas: the officers, their kelurahan, adding a kelurahan, removing an officer, and
making an officer a coordinator (or ending that role).

The list shows everyone; a button per officer opens their card (in the same message), where
the coordinator adds a kelurahan (then types its name), removes one, removes the officer, or
changes the coordinator role, each change of role or removal after a confirmation. See
staff.mmd.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.filters import NO_TEXT, NOT_A_COMMAND, TEXT
from conversations.options import ConversationOptions
from conversations.staff import places
from conversations.staff.callbacks import OfficerCb
from conversations.staff.filters import IsCoordinator
from conversations.staff.menu import reset_menu, show_staff_menu
from conversations.staff.states import StaffForm
from conversations.staff.texts import (
    kelurahan_name,
    officer_button,
    officer_name,
    place_list,
    place_name,
)
from conversations.texts import quote
from services.cases import hand_back_cases
from services.duty import is_on_duty
from services.gazetteer import Gazetteer
from services.officers import (
    OfficerView,
    RoleChange,
    add_kelurahan,
    end_coordinator,
    get_officer,
    list_officers,
    make_coordinator,
    remove_kelurahan,
    remove_officer,
)
from services.roles import COORDINATOR, RESIDENT
from storage.repositories import Repo

PAGE_SIZE = 10


# --- the list ---------------------------------------------------------------------------------


async def list_view(
    repo: Repo, gazetteer: Gazetteer, options: ConversationOptions, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    officers = await list_officers(repo.session)
    if not officers:
        return _(
            "There are no officers yet. Invite one with /undang followed by the kelurahan, "
            "e.g. <code>/undang Menteng</code>."
        ), None
    pages = (len(officers) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = officers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    now = options.clock.now()
    lines = [_("👥 <b>Officers</b> ({count})").format(count=len(officers)), ""]
    builder = InlineKeyboardBuilder()
    for number, officer in enumerate(shown, start=page * PAGE_SIZE + 1):
        on_duty = await is_on_duty(repo.session, officer.id, now, options.timezone)
        lines.append(_line(number, officer, gazetteer, on_duty))
        builder.button(
            text=f"{number}. {officer_button(officer.display_name, officer.id)}",
            callback_data=OfficerCb(action="card", officer_id=officer.id, page=page),
        )
    builder.adjust(2)
    _page_buttons(builder, page, pages)
    lines += ["", _("Choose an officer to add a kelurahan or to remove them.")]
    return "\n".join(lines), builder.as_markup()


def _line(number: int, officer: OfficerView, gazetteer: Gazetteer, on_duty: bool) -> str:
    marks = []
    if on_duty:
        marks.append(_("🟢 on duty"))
    if officer.unreachable:
        marks.append(_("⚠️ has blocked the bot"))
    if officer.role == COORDINATOR:
        marks.append(_("coordinator"))
    suffix = f" · {' · '.join(marks)}" if marks else ""
    return (
        f"{number}. <b>{officer_name(officer.display_name, officer.id)}</b> "
        f"(<code>{officer.id}</code>){suffix}\n"
        f"    {place_list(gazetteer, officer.kelurahan_ids)}"
    )


def _page_buttons(builder: InlineKeyboardBuilder, page: int, pages: int) -> None:
    if pages <= 1:
        return
    row = InlineKeyboardBuilder()
    if page > 0:
        row.button(text="◀️", callback_data=OfficerCb(action="list", page=page - 1))
    row.button(text=f"{page + 1}/{pages}", callback_data=OfficerCb(action="list", page=page))
    if page < pages - 1:
        row.button(text="▶️", callback_data=OfficerCb(action="list", page=page + 1))
    builder.attach(row)


async def officers_command(
    message: Message, repo: Repo, gazetteer: Gazetteer, options: ConversationOptions
) -> None:
    text, markup = await list_view(repo, gazetteer, options, page=0)
    await replies.reply(message, text, reply_markup=markup)


async def show_list(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    await replies.answer(callback)
    text, markup = await list_view(repo, gazetteer, options, callback_data.page)
    await replies.replace_screen(callback, bot, text, markup)


# --- one officer ------------------------------------------------------------------------------


def card_view(
    officer: OfficerView, gazetteer: Gazetteer, on_duty: bool, page: int, viewer_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "👤 <b>{name}</b> (<code>{id}</code>)\nKelurahan: {places}\nOn duty now: {on_duty}"
    ).format(
        name=officer_name(officer.display_name, officer.id),
        id=officer.id,
        places=place_list(gazetteer, officer.kelurahan_ids),
        on_duty=_("yes") if on_duty else _("no"),
    )
    if officer.role == COORDINATOR:
        text += "\n" + _("Also a coordinator.")
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("➕ Add a kelurahan"),
        callback_data=OfficerCb(action="add", officer_id=officer.id, page=page),
    )
    for kelurahan_id in officer.kelurahan_ids:
        builder.button(
            text=_("➖ {kelurahan}").format(kelurahan=kelurahan_name(gazetteer, kelurahan_id)),
            callback_data=OfficerCb(
                action="unbind", officer_id=officer.id, kelurahan_id=kelurahan_id, page=page
            ),
        )
    if officer.role != COORDINATOR:
        builder.button(
            text=_("⭐ Make coordinator"),
            callback_data=OfficerCb(action="coord", officer_id=officer.id, page=page),
        )
    elif officer.id != viewer_id:
        # Not on one's own card: another coordinator ends a coordinator's role.
        builder.button(
            text=_("End the coordinator role"),
            callback_data=OfficerCb(action="uncoord", officer_id=officer.id, page=page),
        )
    builder.button(
        text=_("🗑 Remove this officer"),
        callback_data=OfficerCb(action="drop", officer_id=officer.id, page=page),
    )
    builder.button(text=_("⬅️ All officers"), callback_data=OfficerCb(action="list", page=page))
    builder.adjust(1)
    return text, builder.as_markup()


async def _officer_or_refresh(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> OfficerView | None:
    """The officer the button is about, or None after showing the list again (stale button)."""
    officer = await get_officer(repo.session, callback_data.officer_id)
    if officer is None:
        await replies.answer(callback, _("This officer is no longer on the list."), show_alert=True)
        text, markup = await list_view(repo, gazetteer, options, callback_data.page)
        await replies.replace_screen(callback, bot, text, markup)
    return officer


async def show_card(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    *,
    notice: str | None = None,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    await replies.answer(callback, notice)
    on_duty = await is_on_duty(repo.session, officer.id, options.clock.now(), options.timezone)
    text, markup = card_view(officer, gazetteer, on_duty, callback_data.page, callback.from_user.id)
    await replies.replace_screen(callback, bot, text, markup)


async def ask_kelurahan(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    state: FSMContext,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    await replies.answer(callback)
    await state.set_state(StaffForm.officer_kelurahan)
    await state.update_data(officer_id=officer.id)
    await replies.send(
        bot,
        callback.from_user.id,
        _("Type the name of the kelurahan to add for {name}, or send /batal.").format(
            name=officer_name(officer.display_name, officer.id)
        ),
    )


async def kelurahan_typed(
    message: Message, bot: Bot, state: FSMContext, repo: Repo, gazetteer: Gazetteer
) -> None:
    assert message.text is not None
    officer_id = int((await state.get_data()).get("officer_id", 0))
    officer = await get_officer(repo.session, officer_id)
    if officer is None:
        await state.clear()
        await replies.reply(message, _("This officer is no longer on the list."))
        return
    typed = message.text.strip()
    matches = gazetteer.match_kelurahan(typed)
    if not matches:
        await replies.reply(
            message,
            _("I know no kelurahan called “{typed}”. Please type it again, or send /batal.").format(
                typed=quote(typed[:60])
            ),
        )
        return
    if len(matches) > 1:
        builder = InlineKeyboardBuilder()
        for entry in matches[: places.MAX_CHOICES]:
            builder.button(
                text=entry.name,
                callback_data=OfficerCb(
                    action="bind", officer_id=officer_id, kelurahan_id=entry.id
                ),
            )
        builder.adjust(1)
        await replies.reply(
            message,
            _("“{typed}” could be several kelurahan. Which one?").format(typed=quote(typed[:60])),
            reply_markup=builder.as_markup(),
        )
        return
    await state.clear()
    await _bind(bot, message.chat.id, repo, gazetteer, officer, matches[0].id)


async def kelurahan_expected(message: Message) -> None:
    await replies.reply(message, _("Please type the name of the kelurahan, or send /batal."))


async def bind_chosen(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    state: FSMContext,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    if gazetteer.kelurahan(callback_data.kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    await replies.answer(callback)
    await state.clear()
    await _bind(bot, callback.from_user.id, repo, gazetteer, officer, callback_data.kelurahan_id)


async def _bind(
    bot: Bot,
    coordinator_id: int,
    repo: Repo,
    gazetteer: Gazetteer,
    officer: OfficerView,
    kelurahan_id: int,
) -> None:
    added = await add_kelurahan(repo.session, officer.id, kelurahan_id, actor_id=coordinator_id)
    if added:
        template = _("✅ {name} now also serves {place}.")
    else:
        template = _("{name} already serves {place}.")
    text = template.format(
        name=officer_name(officer.display_name, officer.id),
        place=place_name(gazetteer, kelurahan_id),
    )
    await replies.send(bot, coordinator_id, text + "\n" + _("Send /petugas to see all officers."))


async def unbind(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    actor = callback.from_user.id
    removed = await remove_kelurahan(
        repo.session, callback_data.officer_id, callback_data.kelurahan_id, actor_id=actor
    )
    notice = _("Kelurahan removed.") if removed else _("That kelurahan was already removed.")
    if removed:
        codes = await hand_back_cases(
            repo.session,
            callback_data.officer_id,
            options.alert_policy,
            options.clock.now(),
            actor_id=actor,
            kelurahan_ids=[callback_data.kelurahan_id],
        )
        if codes:
            # Said in the chat, not in the popup: the codes must stay readable.
            await replies.send(bot, actor, handed_back_text(codes))
    await show_card(callback, callback_data, bot, repo, gazetteer, options, notice=notice)


async def confirm_drop(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    await replies.answer(callback)
    text = _(
        "Remove <b>{name}</b> as an officer?\n"
        "They will no longer receive reports, and their kelurahan and duty shifts are removed. "
        "Open cases they have taken go back to their kelurahan: the officers on duty there are "
        "alerted again."
    ).format(name=officer_name(officer.display_name, officer.id))
    await _ask(callback, bot, text, _("🗑 Yes, remove"), "dropok", officer.id, callback_data.page)


async def _ask(
    callback: CallbackQuery,
    bot: Bot,
    text: str,
    yes: str,
    action: str,
    officer_id: int,
    page: int,
) -> None:
    """A confirmation in place of the card: `yes` does `action`, Cancel goes back."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=yes, callback_data=OfficerCb(action=action, officer_id=officer_id, page=page)
    )
    builder.button(
        text=_("Cancel"), callback_data=OfficerCb(action="card", officer_id=officer_id, page=page)
    )
    builder.adjust(2)
    await replies.replace_screen(callback, bot, text, builder.as_markup())


async def _menu_follows_role(
    bot: Bot, repo: Repo, i18n: I18n, officer_id: int, *, serves: bool
) -> None:
    """Their command menu after a change of role, in their language (not the presser's)."""
    user = await repo.users.get(officer_id)
    role = user.role if user is not None else RESIDENT
    if role == RESIDENT:
        await reset_menu(bot, officer_id)
        return
    language = (user.language if user is not None else None) or i18n.default_locale
    with i18n.use_locale(language):
        await show_staff_menu(bot, officer_id, role, serves=serves)


async def drop(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    i18n: I18n,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    actor = callback.from_user.id
    await remove_officer(repo.session, officer.id, actor_id=actor)
    codes = await hand_back_cases(
        repo.session, officer.id, options.alert_policy, options.clock.now(), actor_id=actor
    )
    await replies.answer(callback, _("Officer removed."))
    # Back to a resident's menu; a coordinator's loses /piket and /kasus.
    await _menu_follows_role(bot, repo, i18n, officer.id, serves=False)
    text, markup = await list_view(repo, gazetteer, options, callback_data.page)
    removed = _("{name} is no longer an officer.").format(
        name=officer_name(officer.display_name, officer.id)
    )
    if codes:
        removed += "\n" + handed_back_text(codes)
    await replies.replace_screen(callback, bot, f"{removed}\n\n{text}", markup)


def handed_back_text(codes: list[str]) -> str:
    return _(
        "↩️ Open cases they had taken went back to their kelurahan, whose officers on duty are "
        "alerted again: {codes}"
    ).format(codes=", ".join(f"<code>{code}</code>" for code in codes))


# --- the coordinator role ---------------------------------------------------------------------


async def confirm_role(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    await replies.answer(callback)
    name = officer_name(officer.display_name, officer.id)
    if callback_data.action == "coord":
        text = _(
            "Make <b>{name}</b> a coordinator?\n"
            "Besides their kelurahan, they will manage officers and the duty roster, receive "
            "escalations and the daily digest, send broadcasts, and see statistics and "
            "exports of all cases."
        ).format(name=name)
        yes = _("⭐ Yes, make coordinator")
    else:
        text = _(
            "End <b>{name}</b>'s coordinator role?\n"
            "They stay an officer of their kelurahan. Coordinators listed in the service's "
            "COORDINATOR_IDS setting get the role back when the bot restarts: remove them "
            "there too."
        ).format(name=name)
        yes = _("Yes, end the role")
    action = f"{callback_data.action}ok"
    await _ask(callback, bot, text, yes, action, officer.id, callback_data.page)


async def change_role(
    callback: CallbackQuery,
    callback_data: OfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    i18n: I18n,
) -> None:
    officer = await _officer_or_refresh(callback, callback_data, bot, repo, gazetteer, options)
    if officer is None:
        return
    now = options.clock.now()
    actor = callback.from_user.id
    promoting = callback_data.action == "coordok"
    codes: list[str] = []
    if promoting:
        outcome = await make_coordinator(repo.session, officer.id, actor_id=actor, now=now)
    else:
        outcome, codes = await end_coordinator(
            repo.session, officer.id, options.alert_policy, actor_id=actor, now=now
        )
    if outcome == RoleChange.OWN_ROLE:
        await replies.answer(
            callback,
            _("You cannot end your own coordinator role: please ask another coordinator."),
            show_alert=True,
        )
        return
    if outcome == RoleChange.DONE:
        await _menu_follows_role(bot, repo, i18n, officer.id, serves=bool(officer.kelurahan_ids))
        done = (
            _("{name} is now a coordinator.")
            if promoting
            else _("{name} is no longer a coordinator.")
        )
        # A popup is plain text: the name unescaped.
        notice = done.format(name=officer_button(officer.display_name, officer.id))
        if codes:
            # Said in the chat, not in the popup: the codes must stay readable.
            await replies.send(bot, actor, handed_back_text(codes))
    else:
        notice = _("Nothing to change: someone may have done it already.")
    await show_card(callback, callback_data, bot, repo, gazetteer, options, notice=notice)


def setup() -> Router:
    router = Router(name=__name__)
    coordinator = IsCoordinator()
    router.message.register(officers_command, Command("petugas"), coordinator)
    router.callback_query.register(show_list, OfficerCb.filter(F.action == "list"), coordinator)
    router.callback_query.register(show_card, OfficerCb.filter(F.action == "card"), coordinator)
    router.callback_query.register(ask_kelurahan, OfficerCb.filter(F.action == "add"), coordinator)
    router.callback_query.register(bind_chosen, OfficerCb.filter(F.action == "bind"), coordinator)
    router.callback_query.register(unbind, OfficerCb.filter(F.action == "unbind"), coordinator)
    router.callback_query.register(confirm_drop, OfficerCb.filter(F.action == "drop"), coordinator)
    router.callback_query.register(drop, OfficerCb.filter(F.action == "dropok"), coordinator)
    router.callback_query.register(
        confirm_role, OfficerCb.filter(F.action.in_({"coord", "uncoord"})), coordinator
    )
    router.callback_query.register(
        change_role, OfficerCb.filter(F.action.in_({"coordok", "uncoordok"})), coordinator
    )
    router.message.register(
        kelurahan_typed,
        StateFilter(StaffForm.officer_kelurahan),
        TEXT,
        NOT_A_COMMAND,
        coordinator,
    )
    router.message.register(
        kelurahan_expected, StateFilter(StaffForm.officer_kelurahan), NO_TEXT, coordinator
    )
    return router
