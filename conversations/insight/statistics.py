"""/statistik: cases of a period counted, response times against the targets, and charts.

`/statistik` shows period buttons; `/statistik 01-10-2026 31-10-2026` answers at once;
`/statistik target urgent 15 minutes` and `/statistik target handle 6 hours` change the
targets (`mendesak 15 menit`, `tangani 6 jam` in Indonesian).
"""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations import replies
from conversations.filters import NO_TEXT, NOT_A_COMMAND, TEXT
from conversations.insight.callbacks import CUSTOM, EXPORT, STATISTICS, InsightCb
from conversations.insight.export import ask_format
from conversations.insight.periods import (
    ask_dates_text,
    period_error_text,
    period_keyboard,
    today,
)
from conversations.insight.states import InsightForm
from conversations.options import ConversationOptions
from conversations.staff.filters import IsCoordinator
from conversations.texts import (
    BORDER_LABELS,
    CATEGORY_LABELS,
    CHILD_ROLE_LABELS,
    RECRUITMENT_LABELS,
    STATUS_LABELS,
    duration,
    label,
)
from services.charts import BarPanel, render_in_child
from services.gazetteer import Gazetteer
from services.statistics import (
    TARGET_NAMES,
    Period,
    PeriodError,
    Statistics,
    TargetShare,
    Timing,
    count_cases,
    officer_names,
    parse_period,
    parse_target_duration,
    period_from_token,
    save_target,
    statistics_for,
)
from services.text_limits import MESSAGE_LIMIT
from storage.repositories import Repo
from storage.session_context import once_committed

# Long lists are cut in the message; the export has every row.
SHOWN_KELURAHAN = 10
SHOWN_OFFICERS = 10


async def statistik(
    message: Message,
    command: CommandObject,
    bot: Bot,
    repo: Repo,
    state: FSMContext,
    options: ConversationOptions,
    gazetteer: Gazetteer,
    session_factory: async_sessionmaker[AsyncSession],
    i18n: I18n,
) -> None:
    assert message.from_user is not None
    args = (command.args or "").split()
    if args and args[0].lower() == "target":
        await _set_target(message, repo, args[1:])
        return
    if not args:
        await replies.reply(
            message,
            _("📊 <b>Statistics</b>\nWhich period?"),
            reply_markup=period_keyboard(STATISTICS),
        )
        return
    try:
        period = parse_period(" ".join(args))
    except PeriodError as error:
        await replies.reply(message, period_error_text(error))
        return
    await send_statistics(
        bot,
        message.chat.id,
        message.from_user.id,
        period,
        repo,
        options,
        gazetteer,
        session_factory,
        i18n,
    )


async def period_chosen(
    callback: CallbackQuery,
    callback_data: InsightCb,
    bot: Bot,
    repo: Repo,
    state: FSMContext,
    options: ConversationOptions,
    gazetteer: Gazetteer,
    session_factory: async_sessionmaker[AsyncSession],
    i18n: I18n,
) -> None:
    if callback_data.period == CUSTOM:
        await state.set_state(InsightForm.period)
        await state.update_data(tool=STATISTICS)
        await replies.answer(callback)
        await replies.send(bot, callback.from_user.id, ask_dates_text())
        return
    try:
        period = period_from_token(callback_data.period, today(options))
    except PeriodError as error:
        await replies.answer(callback)
        await replies.send(bot, callback.from_user.id, period_error_text(error))
        return
    await replies.answer(callback, _("Counting…"))
    await send_statistics(
        bot,
        callback.from_user.id,
        callback.from_user.id,
        period,
        repo,
        options,
        gazetteer,
        session_factory,
        i18n,
    )


async def dates_typed(
    message: Message,
    bot: Bot,
    repo: Repo,
    state: FSMContext,
    options: ConversationOptions,
    gazetteer: Gazetteer,
    session_factory: async_sessionmaker[AsyncSession],
    i18n: I18n,
) -> None:
    """The custom period of either tool; a bad one is explained and asked again."""
    assert message.from_user is not None
    try:
        period = parse_period(message.text or "")
    except PeriodError as error:
        await replies.reply(message, period_error_text(error) + "\n\n" + _("Or /batal to stop."))
        return
    tool = (await state.get_data()).get("tool")
    await state.clear()
    if tool == EXPORT:
        await ask_format(bot, message.chat.id, period)
        return
    await send_statistics(
        bot,
        message.chat.id,
        message.from_user.id,
        period,
        repo,
        options,
        gazetteer,
        session_factory,
        i18n,
    )


async def dates_expected(message: Message) -> None:
    """A sticker or photo where the dates were expected: ask again."""
    await replies.reply(message, ask_dates_text())


async def _set_target(message: Message, repo: Repo, args: list[str]) -> None:
    assert message.from_user is not None
    which = TARGET_NAMES.get(args[0].lower()) if args else None
    value = parse_target_duration(" ".join(args[1:])) if len(args) >= 2 else None
    if which is None or value is None:
        await replies.reply(
            message,
            _(
                "To change a target, write for example:\n"
                "<code>/statistik target urgent 15 minutes</code> — urgent reports "
                "acknowledged within 15 minutes\n"
                "<code>/statistik target handle 6 hours</code> — other reports handled within "
                "6 hours\nUse minutes, hours or days, at most 7 days."
            ),
        )
        return
    await save_target(repo.session, which, value, message.from_user.id)
    await repo.audit.record(
        "statistics_target_set",
        actor_id=message.from_user.id,
        target=which,
        seconds=int(value.total_seconds()),
    )
    text = (
        _("Target saved: urgent reports acknowledged within {value}.")
        if which == "urgent"
        else _("Target saved: other reports handled within {value}.")
    )
    await replies.reply(message, text.format(value=duration(value)))


async def send_statistics(
    bot: Bot,
    chat_id: int,
    user_id: int,
    period: Period,
    repo: Repo,
    options: ConversationOptions,
    gazetteer: Gazetteer,
    session_factory: async_sessionmaker[AsyncSession],
    i18n: I18n,
) -> None:
    cases = await count_cases(repo.session, period, options.timezone)
    await repo.audit.record(
        "statistics_viewed", actor_id=user_id, period=period.token(), cases=cases
    )
    # Counted, written and drawn after the commit: five years of cases take a second or two,
    # and the update's transaction (on SQLite, the write lock alerts need) must not wait.
    locale = i18n.current_locale

    async def send_all() -> None:
        # A session of its own: only reads, so it takes no turn at SQLite's write lock.
        async with session_factory() as session:
            stats = await statistics_for(
                session, period, options.timezone, gazetteer, options.clock.now()
            )
            officers = (officer for officer, _t in stats.timing_by_officer)
            names = await officer_names(session, officers)
        with i18n.context(), i18n.use_locale(locale):
            text = statistics_text(stats, names)
            panels = chart_panels(stats)
        await bot.send_message(chat_id, text)
        # Drawn in a child process (services/charts.py): Matplotlib never loads into the bot.
        # A drawing that fails cannot take back the figures already said (the apology
        # follows them).
        pngs = await render_in_child(panels)
        for png, name in zip(pngs, ("statistik-kasus.png", "statistik-waktu.png"), strict=True):
            await bot.send_photo(chat_id, BufferedInputFile(png, filename=name))

    await once_committed(send_all)


def _share(target: TargetShare) -> str:
    if target.share is None:
        text = _("no cases yet")
    else:
        # A whole number already: translators then see plain {placeholders} only.
        text = _("{met} of {counted} ({percent} %)").format(
            met=target.met, counted=target.counted, percent=round(target.share * 100)
        )
    if target.pending:
        text += " " + _("({pending} still within the time)").format(pending=target.pending)
    return text


def _timing_line(timing: Timing) -> str:
    return _("acknowledged {ack} / {ack90} · closed {close} / {close90}").format(
        ack=duration(timing.ack_median),
        ack90=duration(timing.ack_p90),
        close=duration(timing.close_median),
        close90=duration(timing.close_p90),
    )


def statistics_text(stats: Statistics, names: dict[int, str]) -> str:
    lines = [_("📊 <b>Statistics {period}</b>").format(period=stats.period)]
    if stats.total == 0:
        lines.append(_("No cases were reported in this period."))
    else:
        lines.append(
            _("Cases: <b>{total}</b>, of them urgent: <b>{urgent}</b>").format(
                total=stats.total, urgent=stats.urgent
            )
        )
        lines.append("\n<b>" + _("By status") + "</b>")
        lines += [f"• {label(STATUS_LABELS, code)}: {n}" for code, n in stats.by_status]
        lines.append("\n<b>" + _("By category") + "</b>")
        lines += [f"• {label(CATEGORY_LABELS, code)}: {n}" for code, n in stats.by_category]
        lines += _category_details(stats)
        lines.append("\n<b>" + _("By kecamatan") + "</b>")
        lines += [f"• {escape(name)}: {n}" for name, n in stats.by_kecamatan]
        lines.append("\n<b>" + _("Kelurahan with most cases") + "</b>")
        lines += [
            f"• {escape(kel)} ({escape(kec)}): {n}"
            for kec, kel, n in stats.by_kelurahan[:SHOWN_KELURAHAN]
        ]
        lines.append("\n<b>" + _("Response times (median / 90th percentile)") + "</b>")
        lines.append(_("All cases: {line}").format(line=_timing_line(stats.timing)))
        lines += [
            f"• {escape(name)}: {_timing_line(timing)}"
            for name, timing in stats.timing_by_kecamatan
        ]
        if stats.timing_by_officer:
            lines.append("\n<b>" + _("By officer") + "</b>")
            lines += [
                f"• {escape(names.get(officer, f'#{officer}'))}: {_timing_line(timing)}"
                for officer, timing in stats.timing_by_officer[:SHOWN_OFFICERS]
            ]
    lines.append("\n<b>" + _("Targets") + "</b>")
    lines.append(
        _("Urgent reports acknowledged within {target}: {share}").format(
            target=duration(stats.targets.urgent_ack), share=_share(stats.urgent_target)
        )
    )
    lines.append(
        _("Other reports handled within {target}: {share}").format(
            target=duration(stats.targets.handle), share=_share(stats.handle_target)
        )
    )
    lines.append(
        _(
            "Change a target: <code>/statistik target urgent 15 minutes</code> or "
            "<code>/statistik target handle 6 hours</code>"
        )
    )
    text = "\n".join(lines)
    if len(text) > MESSAGE_LIMIT - 100:
        # Cut at a line: never inside a tag. The long tails are in the charts and the export.
        text = text[: MESSAGE_LIMIT - 100].rsplit("\n", 1)[0] + "\n…"
    return text


def _category_details(stats: Statistics) -> list[str]:
    """ABH by the child's part, TPPO by recruitment and border: only when the period has any."""
    sections = [
        (_("ABH by the child's part"), CHILD_ROLE_LABELS, stats.abh_by_role),
        (_("TPPO by recruitment"), RECRUITMENT_LABELS, stats.tppo_by_recruitment),
        (_("TPPO by border crossed"), BORDER_LABELS, stats.tppo_by_border),
    ]
    lines: list[str] = []
    for title, labels, counts in sections:
        if counts:
            lines.append("\n<b>" + title + "</b>")
            lines += [f"• {label(labels, code)}: {n}" for code, n in counts]
    return lines


def chart_panels(stats: Statistics) -> tuple[list[BarPanel], list[BarPanel]]:
    """The two photos: how many cases, and how fast they were answered (labels translated)."""
    empty = _("No cases in this period")
    counts = [
        BarPanel(
            _("Cases by category"),
            [(label(CATEGORY_LABELS, code), n) for code, n in stats.by_category],
            empty_text=empty,
            whole=True,
        ),
        BarPanel(_("Cases by kecamatan"), stats.by_kecamatan, empty_text=empty, whole=True),
        BarPanel(
            _("Cases by status"),
            [(label(STATUS_LABELS, code), n) for code, n in stats.by_status],
            empty_text=empty,
            whole=True,
        ),
    ]

    def shares(rows: list[tuple[str, TargetShare]]) -> list[tuple[str, float]]:
        return [(name, s.share * 100) for name, s in rows if s.share is not None]

    timing = [
        BarPanel(
            _("Urgent acknowledged within {target} (%)").format(
                target=duration(stats.targets.urgent_ack)
            ),
            shares(stats.urgent_target_by_kecamatan),
            value_format="{:.0f} %",
            limit=100,
            empty_text=empty,
        ),
        BarPanel(
            _("Handled within {target} (%)").format(target=duration(stats.targets.handle)),
            shares(stats.handle_target_by_kecamatan),
            value_format="{:.0f} %",
            limit=100,
            empty_text=empty,
        ),
        BarPanel(
            _("Median minutes to acknowledge"),
            [
                (name, t.ack_median / 60)
                for name, t in stats.timing_by_kecamatan
                if t.ack_median is not None
            ],
            empty_text=empty,
        ),
    ]
    return counts, timing


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(statistik, Command("statistik"), IsCoordinator())
    router.callback_query.register(
        period_chosen, InsightCb.filter(F.tool == STATISTICS), IsCoordinator()
    )
    router.message.register(
        dates_typed, StateFilter(InsightForm.period), TEXT, NOT_A_COMMAND, IsCoordinator()
    )
    router.message.register(
        dates_expected, StateFilter(InsightForm.period), NO_TEXT, IsCoordinator()
    )
    return router
