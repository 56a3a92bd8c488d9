"""/ekspor: the cases of a period as CSV or XLSX, columns after Simfoni PPA.

Personal data (reporter's name and phone, the description) is left out unless the coordinator
takes a separate button and confirms a warning; such an export is audit-logged as its own
action, as is every export.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations import replies
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
from services.export import export_cases
from services.export_file import FORMATS, file_name, render_in_child
from services.gazetteer import Gazetteer
from services.i18n import plural_translator
from services.statistics import (
    Period,
    PeriodError,
    count_cases,
    parse_period,
    period_from_token,
)
from storage.repositories import Repo
from storage.session_context import once_committed


async def ekspor(message: Message, command: CommandObject, bot: Bot, state: FSMContext) -> None:
    if not command.args:
        await replies.reply(
            message,
            _("📁 <b>Export cases</b>\nWhich period?"),
            reply_markup=period_keyboard(EXPORT),
        )
        return
    try:
        period = parse_period(command.args)
    except PeriodError as error:
        await replies.reply(message, period_error_text(error))
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
    await replies.send(
        bot,
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
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    chat_id = callback.from_user.id
    if callback_data.period == CUSTOM:
        await state.set_state(InsightForm.period)
        await state.update_data(tool=EXPORT)
        await replies.answer(callback)
        await replies.send(bot, chat_id, ask_dates_text())
        return
    try:
        period = period_from_token(callback_data.period, today(options))
    except PeriodError as error:
        await replies.answer(callback)
        await replies.send(bot, chat_id, period_error_text(error))
        return
    if callback_data.fmt not in FORMATS and callback_data.personal != ASK_PERSONAL:
        # No format yet (a preset was just chosen) or a forged one: ask for it.
        # The dates are fixed now, so a later press exports the same days.
        await replies.answer(callback)
        await ask_format(bot, chat_id, period)
        return
    if callback_data.personal == ASK_PERSONAL:
        await replies.answer(callback)
        await _warn_personal(bot, chat_id, period)
        return
    personal = callback_data.personal == CONFIRMED_PERSONAL
    await replies.answer(callback, _("Preparing the file…"))
    rows = await count_cases(repo.session, period, options.timezone)
    await repo.audit.record(
        "cases_exported_personal" if personal else "cases_exported",
        actor_id=chat_id,
        period=period.token(),
        rows=rows,
        format=callback_data.fmt,
        personal=personal,
    )
    # Read, written and sent after the commit: a year's cases take seconds, and the update's
    # transaction (on SQLite, the write lock alerts need) must not wait for them.
    send = _Delivery(
        bot,
        chat_id,
        session_factory,
        gazetteer,
        options,
        period,
        callback_data.fmt,
        personal,
        captions=_Captions.now(period, personal),
    )
    await once_committed(send)


@dataclass(frozen=True, slots=True)
class _Captions:
    """The file's caption, translated while the update's language is known."""

    language: str
    period: str
    none: str
    warning: str

    @classmethod
    def now(cls, period: Period, personal: bool) -> _Captions:
        warning = (
            "\n" + _("⚠️ Contains personal data: keep it safe and delete it after use.")
            if personal
            else ""
        )
        return cls(
            language=get_i18n().current_locale,
            period=str(period),
            none=_("No cases in {period}: the file has the column names only.").format(
                period=period
            ),
            warning=warning,
        )

    def for_rows(self, count: int) -> str:
        if not count:
            return self.none + self.warning
        # The count is known once the file is made: its plural form is chosen then.
        ngettext = plural_translator(self.language)
        some = ngettext("{count} case, {period}.", "{count} cases, {period}.", count)
        return some.format(count=count, period=self.period) + self.warning


@dataclass(frozen=True, slots=True)
class _Delivery:
    bot: Bot
    chat_id: int
    session_factory: async_sessionmaker[AsyncSession]
    gazetteer: Gazetteer
    options: ConversationOptions
    period: Period
    fmt: str
    personal: bool
    captions: _Captions

    async def __call__(self) -> None:
        # A session of its own: only reads, so it takes no turn at SQLite's write lock.
        async with self.session_factory() as session:
            export = await export_cases(
                session,
                self.period,
                self.options.timezone,
                self.gazetteer,
                personal=self.personal,
            )
        data = await render_in_child(export, self.fmt)
        name = file_name(self.period, self.fmt, personal=self.personal)
        await self.bot.send_document(
            self.chat_id,
            BufferedInputFile(data, filename=name),
            caption=self.captions.for_rows(len(export.rows)),
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
    await replies.send(
        bot,
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
