"""What happens when the resident presses Kirim (Send) on the summary."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from conversations import replies
from conversations.report.context import StepContext
from conversations.subscription_offer import queue_subscription_offer
from conversations.texts import emergency_text
from services import outbox
from services.alerting import dispatch_new_report
from services.delivery import RECEIPT_KIND
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
        await replies.answer(
            callback,
            _("Some answers are still missing. Please complete them first."),
            show_alert=True,
        )
        first = missing.missing[0]
        ctx.draft.editing = None
        await ctx.show(first)
        return
    await ctx.state.clear()
    session = ctx.repo.session
    # Nothing tells the resident "sent" before the report is durable: the toast after the
    # commit, the summary's buttons taken away by a reply queued behind the alerts.
    await replies.answer(callback, _("Report sent"))
    await replies.edit_markup(callback, ctx.bot, None)
    if submitted.duplicate:
        await ctx.say(_("This report was already sent. Its tracking code is in the message above."))
        return
    # Routed in this same transaction: the report and its alerts are stored together or not at all.
    await dispatch_new_report(
        session, submitted.report.id, ctx.options.alert_policy, ctx.options.clock.now()
    )
    await schedule_first_followup(session, submitted.report, ctx.options.followups)
    code = submitted.report.code
    receipt = _(
        "✅ <b>Your report has been received.</b>\n\n"
        "Your tracking code: <code>{code}</code>\n"
        "Write it down or remember it. Check your report at any time with "
        "<code>/status {code}</code>.\n\n"
        "<b>What happens next:</b> the on-duty officer of the kelurahan receives your "
        "report and will act on it. {followup}"
    ).format(code=code, followup=_contact_text(ctx))
    # Through the outbox, behind this report's alerts: 50 Kirims at once must not put 100
    # confirmations ahead of the officers. One message, so the resident does not wait a
    # second (Telegram's pace per chat) for the emergency numbers.
    await outbox.enqueue(
        session,
        chat_id=ctx.chat_id,
        payload=outbox.message(
            receipt + "\n\n" + emergency_text(list(ctx.options.emergency_numbers))
        ),
        kind=RECEIPT_KIND,
        lane=outbox.Lane.RELAY,
        # Neither the report nor its code: without consent nothing may tie this chat to it.
        dedupe_key=f"receipt:{callback.id}",
    )
    await queue_subscription_offer(session, ctx.chat_id, dedupe_key=f"offer:{callback.id}")


def _contact_text(ctx: StepContext) -> str:
    """What the resident agreed to, channel by channel, as the officer will read it."""
    call = bool(ctx.draft.phone) and not ctx.draft.anonymous
    if ctx.draft.consent and call:
        return _("They may write to you in this chat, and call you at the number you shared.")
    if ctx.draft.consent:
        return _("They may write to you in this chat.")
    if call:
        return _(
            "An officer may call you at the number you shared. We will not write to you in "
            "this chat: keep your code to check on the report."
        )
    return _("We will not contact you: keep your code to check on the report.")
