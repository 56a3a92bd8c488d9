"""/ekspor: the cases of a period as CSV or XLSX, columns after Simfoni PPA.

Personal data (reporter's name and phone, the description) is left out unless the coordinator
takes a separate button and confirms a warning; such an export is audit-logged as its own
action, as is every export.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from conversations.insight.callbacks import (
    ASK_PERSONAL,
    CONFIRMED_PERSONAL,
    CUSTOM,
    EXPORT,
    InsightCb,
)
from conversations.insight.periods import (
    ask_dates_text,
    period_error_text,
    period_keyboard,
    today,
)
from conversations.insight.states import InsightForm
from conversations.options import ConversationOptions
from conversations.staff.filters import IsCoordinator
from services.export import FORMATS, export_cases, file_name, render
from services.gazetteer import Gazetteer
from services.statistics import Period, PeriodError, parse_period, period_from_token
from storage.repositories import Repo


async def ekspor(message: Message, command: CommandObject, bot: Bot, state: FSMContext) -> None:
    if not command.args:
        await message.answer(
            _("📁 <b>Export cases</b>\nWhich period?"), reply_markup=period_keyboard(EXPORT)
        )
        return
    try:
        period = parse_period(command.args)
    except PeriodError as error:
        await message.answer(period_error_text(error))
        return
    await ask_format(bot, message.chat.id, period)


async def ask_format(bot: Bot, chat_id: int, period: Period) -> None:
    """The format buttons; personal data is a separate button that first shows a warning."""
    token = period.token()
    builder = InlineKeyboardBuilder()
    builder.button(text="CSV", callback_data=InsightCb(tool=EXPORT, period=token, fmt="csv"))
    builder.button(
        text="Excel (XLSX)", callback_data=InsightCb(tool=EXPORT, period=token, fmt="xlsx")
    )
    builder.button(
        text=_("⚠️ With personal data…"),
        callback_data=InsightCb(tool=EXPORT, period=token, personal=ASK_PERSONAL),
    )
    builder.adjust(2, 1)
    await bot.send_message(
        chat_id,
        _(
            "Export {period}: which format? The file has no personal data: no names, phone "
            "numbers or descriptions."
        ).format(period=period),
        reply_markup=builder.as_markup(),
    )


async def export_pressed(
    callback: CallbackQuery,
    callback_data: InsightCb,
    bot: Bot,
    repo: Repo,
    state: FSMContext,
    options: ConversationOptions,
    gazetteer: Gazetteer,
) -> None:
    chat_id = callback.from_user.id
    if callback_data.period == CUSTOM:
        await state.set_state(InsightForm.period)
        await state.update_data(tool=EXPORT)
        await callback.answer()
        await bot.send_message(chat_id, ask_dates_text())
        return
    try:
        period = period_from_token(callback_data.period, today(options))
    except PeriodError as error:
        await callback.answer()
        await bot.send_message(chat_id, period_error_text(error))
        return
    if callback_data.fmt not in FORMATS and callback_data.personal != ASK_PERSONAL:
        # No format yet (a preset was just chosen) or a forged one: ask for it.
        # The dates are fixed now, so a later press exports the same days.
        await callback.answer()
        await ask_format(bot, chat_id, period)
        return
    if callback_data.personal == ASK_PERSONAL:
        await callback.answer()
        await _warn_personal(bot, chat_id, period)
        return
    personal = callback_data.personal == CONFIRMED_PERSONAL
    await callback.answer(_("Preparing the file…"))
    export = await export_cases(
        repo.session, period, options.timezone, gazetteer, personal=personal
    )
    await repo.audit.record(
        "cases_exported_personal" if personal else "cases_exported",
        actor_id=chat_id,
        period=period.token(),
        rows=len(export.rows),
        format=callback_data.fmt,
        personal=personal,
    )
    data = render(export, callback_data.fmt)
    caption = (
        _("{count} cases, {period}.").format(count=len(export.rows), period=period)
        if export.rows
        else _("No cases in {period}: the file has the column names only.").format(period=period)
    )
    if personal:
        caption += "\n" + _("⚠️ Contains personal data: keep it safe and delete it after use.")
    await bot.send_document(
        chat_id,
        BufferedInputFile(data, filename=file_name(period, callback_data.fmt, personal=personal)),
        caption=caption,
    )


async def _warn_personal(bot: Bot, chat_id: int, period: Period) -> None:
    token = period.token()
    builder = InlineKeyboardBuilder()
    for fmt, text in (
        ("csv", _("Yes, CSV with personal data")),
        ("xlsx", _("Yes, XLSX with personal data")),
    ):
        builder.button(
            text=text,
            callback_data=InsightCb(
                tool=EXPORT, period=token, fmt=fmt, personal=CONFIRMED_PERSONAL
            ),
        )
    builder.button(
        text=_("No, without personal data"), callback_data=InsightCb(tool=EXPORT, period=token)
    )
    builder.adjust(1)
    await bot.send_message(
        chat_id,
        _(
            "⚠️ <b>Personal data</b>\nThis export would include reporters' names and phone "
            "numbers and the descriptions of what happened. Under UU 27/2022 you may only use "
            "it for handling these cases. Keep the file safe, share it with no one, and delete "
            "it when done. The export is recorded in the audit log.\n\nInclude personal data "
            "for {period}?"
        ).format(period=period),
        reply_markup=builder.as_markup(),
    )


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(ekspor, Command("ekspor"), IsCoordinator())
    router.callback_query.register(
        export_pressed, InsightCb.filter(F.tool == EXPORT), IsCoordinator()
    )
    return router
