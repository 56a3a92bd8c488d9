"""What happens when the resident presses Kirim (Send) on the summary."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage
from aiogram.utils.i18n import gettext as _

from conversations.broadcasts.offer import offer_subscription
from conversations.report.context import StepContext
from conversations.texts import emergency_text
from services.alerting import dispatch_new_report
from services.followups import schedule_first_followup
from services.reporting import DraftIncomplete, submit_report


async def send_report(ctx: StepContext, callback: CallbackQuery) -> None:
    try:
        submitted = await submit_report(
            ctx.repo,
            ctx.draft,
            chat_id=ctx.chat_id,
            language=ctx.language,
            now=ctx.options.clock.now(),
        )
    except DraftIncomplete as missing:
        await callback.answer(
            _("Some answers are still missing. Please complete them first."), show_alert=True
        )
        first = missing.missing[0]
        ctx.draft.editing = None
        await ctx.show(first)
        return
    await callback.answer(_("Report sent"))
    await ctx.state.clear()
    message = callback.message
    if message is not None and not isinstance(message, InaccessibleMessage):
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
    if submitted.duplicate:
        await ctx.say(_("This report was already sent. Its tracking code is in the message above."))
        return
    # Routed in this same transaction: the report and its alerts are stored together or not at all.
    await dispatch_new_report(
        ctx.repo.session, submitted.report.id, ctx.options.alert_policy, ctx.options.clock.now()
    )
    await schedule_first_followup(ctx.repo.session, submitted.report, ctx.options.followups)
    code = submitted.report.code
    await ctx.say(
        _(
            "✅ <b>Your report has been received.</b>\n\n"
            "Your tracking code: <code>{code}</code>\n"
            "Write it down or remember it. Check your report at any time with "
            "<code>/status {code}</code>.\n\n"
            "<b>What happens next:</b> the on-duty officer of the kelurahan receives your "
            "report and will act on it. {followup}"
        ).format(
            code=code,
            followup=(
                _("They may contact you through this chat.")
                if ctx.draft.consent
                else _("We will not contact you: keep your code to check on the report.")
            ),
        )
    )
    await ctx.say(emergency_text(list(ctx.options.emergency_numbers)))
    await offer_subscription(ctx.bot, ctx.chat_id, ctx.repo.session)
