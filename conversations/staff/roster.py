"""/jadwal: a kelurahan's weekly duty roster, adding and removing shifts.

The kelurahan is chosen with buttons (kecamatan, then kelurahan) or typed after the command.
A shift is added by typing "Senin 08:00-16:00 [officer id]"; without an id the officer is
chosen with a button that carries the whole shift, so nothing waits in the conversation state
once the line was understood. See staff.mmd.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations import replies
from conversations.filters import NO_TEXT, NOT_A_COMMAND, TEXT
from conversations.options import ConversationOptions
from conversations.staff import places
from conversations.staff.callbacks import PlaceCb, RosterCb, ShiftOfficerCb
from conversations.staff.filters import IsCoordinator
from conversations.staff.states import StaffForm
from conversations.staff.texts import (
    officer_button,
    officer_name,
    place_name,
    shift_hours,
    weekday_name,
    zone_name,
)
from services.gazetteer import Gazetteer
from services.officers import list_officers
from services.roster import (
    ShiftLineError,
    ShiftProblem,
    ShiftSpec,
    ShiftView,
    add_shift,
    parse_shift_line,
    remove_shift,
    week_of,
)
from storage.repositories import Repo

PURPOSE = "ros"
# Telegram allows 100 buttons in a keyboard; a kelurahan's week never needs this many.
MAX_SHIFT_BUTTONS = 60
MAX_OFFICER_BUTTONS = 30


# --- showing the roster -----------------------------------------------------------------------


async def roster_view(
    repo: Repo, gazetteer: Gazetteer, options: ConversationOptions, kelurahan_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    shifts = await week_of(repo.session, kelurahan_id)
    zone = zone_name(options.timezone, options.clock.now())
    lines = [
        _("📅 <b>Duty roster of {place}</b>").format(place=place_name(gazetteer, kelurahan_id)),
        _("Times are local ({zone}).").format(zone=zone),
        "",
    ]
    for weekday in range(7):
        lines.append(f"<b>{weekday_name(weekday)}</b>")
        day = [shift for shift in shifts if shift.weekday == weekday]
        if not day:
            lines.append("    " + _("⚠️ nobody on duty"))
        for shift in day:
            lines.append(f"    {_shift_line(shift)}")
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("➕ Add a shift"), callback_data=RosterCb(action="add", kelurahan_id=kelurahan_id)
    )
    for shift in shifts[:MAX_SHIFT_BUTTONS]:
        short_day = weekday_name(shift.weekday, short=True)
        hours = shift_hours(shift.start_minute, shift.end_minute)
        text = f"🗑 {short_day} {hours} {officer_button(shift.officer_name, shift.officer_id)}"
        builder.button(
            text=text,
            callback_data=RosterCb(action="del", kelurahan_id=kelurahan_id, shift_id=shift.id),
        )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def _shift_line(shift: ShiftView) -> str:
    hours = shift_hours(shift.start_minute, shift.end_minute)
    name = officer_name(shift.officer_name, shift.officer_id)
    return f"{hours} — {name} (<code>{shift.officer_id}</code>)"


async def roster_command(
    message: Message,
    command: CommandObject,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    typed = (command.args or "").strip()
    ask = _(
        "Which kelurahan's roster? Choose the kecamatan, or send /jadwal followed by "
        "the kelurahan's name, e.g. <code>/jadwal Menteng</code>."
    )
    chosen = await places.kelurahan_from_command(message, typed, gazetteer, PURPOSE, ask)
    if chosen is None:
        return
    text, markup = await roster_view(repo, gazetteer, options, chosen)
    await replies.reply(message, text, reply_markup=markup)


async def place_chosen(
    callback: CallbackQuery,
    callback_data: PlaceCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    chosen = await places.kelurahan_from_button(callback, callback_data, bot, gazetteer)
    if chosen is None:
        return
    text, markup = await roster_view(repo, gazetteer, options, chosen)
    await replies.replace_screen(callback, bot, text, markup)


# --- removing a shift -------------------------------------------------------------------------


async def ask_delete_shift(
    callback: CallbackQuery,
    callback_data: RosterCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    """🗑 on a shift: ask first, naming the shift (a thumb slips on a list of look-alikes)."""
    kelurahan_id = callback_data.kelurahan_id
    if gazetteer.kelurahan(kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    shifts = await week_of(repo.session, kelurahan_id)
    shift = next((s for s in shifts if s.id == callback_data.shift_id), None)
    await replies.answer(callback)
    if shift is None:
        text, markup = await roster_view(repo, gazetteer, options, kelurahan_id)
        await replies.replace_screen(
            callback, bot, _("That shift was already removed.") + "\n\n" + text, markup
        )
        return
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🗑 Yes, remove it"),
        callback_data=RosterCb(action="delok", kelurahan_id=kelurahan_id, shift_id=shift.id),
    )
    builder.button(
        text=_("⬅️ No, back to the roster"),
        callback_data=RosterCb(action="view", kelurahan_id=kelurahan_id),
    )
    builder.adjust(1)
    text = _("<b>Remove this shift from the roster of {place}?</b>\n{day} {shift}").format(
        place=place_name(gazetteer, kelurahan_id),
        day=weekday_name(shift.weekday),
        shift=_shift_line(shift),
    )
    await replies.replace_screen(callback, bot, text, builder.as_markup())


async def delete_shift(
    callback: CallbackQuery,
    callback_data: RosterCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    if gazetteer.kelurahan(callback_data.kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    removed = await remove_shift(
        repo.session,
        callback_data.shift_id,
        kelurahan_id=callback_data.kelurahan_id,
        actor_id=callback.from_user.id,
    )
    await replies.answer(
        callback, _("Shift removed.") if removed else _("That shift was already removed.")
    )
    text, markup = await roster_view(repo, gazetteer, options, callback_data.kelurahan_id)
    await replies.replace_screen(callback, bot, text, markup)


async def show_roster(
    callback: CallbackQuery,
    callback_data: RosterCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    """Back from the question: the roster as it is, nothing removed."""
    if gazetteer.kelurahan(callback_data.kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    await replies.answer(callback, _("Nothing was removed."))
    text, markup = await roster_view(repo, gazetteer, options, callback_data.kelurahan_id)
    await replies.replace_screen(callback, bot, text, markup)


# --- adding a shift ---------------------------------------------------------------------------


def shift_format_help() -> str:
    return _(
        "Type the shift as <b>day start-end officer-id</b>, for example:\n"
        "<code>Senin 08:00-16:00 123456789</code>\n"
        "Leave out the officer id to choose the officer with a button. "
        "A shift that ends before it starts runs past midnight (<code>Senin 22:00-06:00</code>)."
    )


async def ask_shift(
    callback: CallbackQuery,
    callback_data: RosterCb,
    bot: Bot,
    gazetteer: Gazetteer,
    state: FSMContext,
) -> None:
    kelurahan_id = callback_data.kelurahan_id
    if gazetteer.kelurahan(kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    await replies.answer(callback)
    await state.set_state(StaffForm.shift)
    await state.update_data(kelurahan_id=kelurahan_id)
    await replies.send(
        bot,
        callback.from_user.id,
        _("New shift for {place}.").format(place=place_name(gazetteer, kelurahan_id))
        + "\n"
        + shift_format_help()
        + "\n"
        + _("Send /batal to stop."),
    )


def problem_text(problem: ShiftProblem) -> str:
    texts = {
        ShiftProblem.FORMAT: _("I could not read that shift."),
        ShiftProblem.WEEKDAY: _(
            "I do not know that day. Use Senin to Minggu, Monday to Sunday, or 0 (Monday) to 6."
        ),
        ShiftProblem.TIME: _("A time is not right: use hours and minutes like 08:00 or 16.30."),
        ShiftProblem.EMPTY: _("The shift starts and ends at the same time."),
    }
    return texts[problem]


async def shift_typed(
    message: Message,
    state: FSMContext,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
) -> None:
    assert message.text is not None and message.from_user is not None
    kelurahan_id = int((await state.get_data()).get("kelurahan_id", 0))
    if gazetteer.kelurahan(kelurahan_id) is None:
        await state.clear()
        await replies.reply(message, _("Please start again with /jadwal."))
        return
    try:
        spec = parse_shift_line(message.text)
    except ShiftLineError as error:
        await replies.reply(message, problem_text(error.problem) + "\n\n" + shift_format_help())
        return
    if spec.officer_id is None:
        await _choose_officer(message, repo, kelurahan_id, spec, unknown_id=None)
        return
    try:
        await add_shift(
            repo.session,
            kelurahan_id=kelurahan_id,
            officer_id=spec.officer_id,
            weekday=spec.weekday,
            start_minute=spec.start_minute,
            end_minute=spec.end_minute,
            actor_id=message.from_user.id,
        )
    except LookupError:
        await _choose_officer(message, repo, kelurahan_id, spec, unknown_id=spec.officer_id)
        return
    await state.clear()
    await replies.reply(message, _("✅ Shift added."))
    text, markup = await roster_view(repo, gazetteer, options, kelurahan_id)
    await replies.reply(message, text, reply_markup=markup)


async def _choose_officer(
    message: Message, repo: Repo, kelurahan_id: int, spec: ShiftSpec, unknown_id: int | None
) -> None:
    officers = await list_officers(repo.session)
    if not officers:
        await replies.reply(
            message,
            _("There are no officers yet. Invite one with /undang first, then add the shift."),
        )
        return
    # Officers of this kelurahan first: they are the usual choice.
    officers.sort(key=lambda officer: kelurahan_id not in officer.kelurahan_ids)
    builder = InlineKeyboardBuilder()
    for officer in officers[:MAX_OFFICER_BUTTONS]:
        builder.button(
            text=officer_button(officer.display_name, officer.id),
            callback_data=ShiftOfficerCb(
                kelurahan_id=kelurahan_id,
                officer_id=officer.id,
                weekday=spec.weekday,
                start=spec.start_minute,
                end=spec.end_minute,
            ),
        )
    builder.adjust(2)
    question = _("Who is on duty {day} {hours}?").format(
        day=weekday_name(spec.weekday), hours=shift_hours(spec.start_minute, spec.end_minute)
    )
    if unknown_id is not None:
        question = (
            _("No officer has the id <code>{id}</code>.").format(id=unknown_id) + "\n" + question
        )
    await replies.reply(message, question, reply_markup=builder.as_markup())


async def shift_expected(message: Message) -> None:
    await replies.reply(message, shift_format_help() + "\n" + _("Send /batal to stop."))


async def officer_chosen(
    callback: CallbackQuery,
    callback_data: ShiftOfficerCb,
    bot: Bot,
    repo: Repo,
    gazetteer: Gazetteer,
    options: ConversationOptions,
    state: FSMContext,
) -> None:
    kelurahan_id = callback_data.kelurahan_id
    if gazetteer.kelurahan(kelurahan_id) is None:
        await replies.answer(callback, _("This button is no longer active."))
        return
    try:
        added = await add_shift(
            repo.session,
            kelurahan_id=kelurahan_id,
            officer_id=callback_data.officer_id,
            weekday=callback_data.weekday,
            start_minute=callback_data.start,
            end_minute=callback_data.end,
            actor_id=callback.from_user.id,
        )
    except LookupError:
        await replies.answer(callback, _("This officer is no longer on the list."), show_alert=True)
        return
    except ValueError:
        # Only a forged button carries impossible times; the filter already checked the role.
        await replies.answer(callback, _("This button is no longer active."))
        return
    await state.clear()
    await replies.answer(
        callback, _("Already on the roster.") if added.duplicate else _("✅ Shift added.")
    )
    text, markup = await roster_view(repo, gazetteer, options, kelurahan_id)
    await replies.replace_screen(callback, bot, text, markup)


def setup() -> Router:
    router = Router(name=__name__)
    coordinator = IsCoordinator()
    router.message.register(roster_command, Command("jadwal"), coordinator)
    router.callback_query.register(place_chosen, PlaceCb.filter(F.purpose == PURPOSE), coordinator)
    router.callback_query.register(
        ask_delete_shift, RosterCb.filter(F.action == "del"), coordinator
    )
    router.callback_query.register(delete_shift, RosterCb.filter(F.action == "delok"), coordinator)
    router.callback_query.register(show_roster, RosterCb.filter(F.action == "view"), coordinator)
    router.callback_query.register(ask_shift, RosterCb.filter(F.action == "add"), coordinator)
    router.callback_query.register(officer_chosen, ShiftOfficerCb.filter(), coordinator)
    router.message.register(
        shift_typed, StateFilter(StaffForm.shift), TEXT, NOT_A_COMMAND, coordinator
    )
    router.message.register(shift_expected, StateFilter(StaffForm.shift), NO_TEXT, coordinator)
    return router
