"""What the case rules do when the sender reports on a delivery (the DeliveryHooks)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services import broadcasts, outbox, relay
from services.alerting import AlertPolicy, load_report
from services.case_views import CARD_EDIT_KIND, CARD_KIND, display_name, forget, shown
from services.cases import edit_taken_alert
from services.clock import Clock
from services.escalation import reroute_after_unreachable
from services.i18n import translator
from services.officers import CASE_MESSAGE_KINDS
from services.roles import coordinator_ids
from services.subscriptions import unsubscribe
from storage.models import User
from storage.repositories import case_access
from storage.repositories.audit import AuditRepo
from storage.repositories.broadcasts import broadcast_of_row
from storage.repositories.outbox import OutboxRow
from storage.repositories.reports import ReportRepo
from storage.repositories.users import UserRepo

ALERT_KINDS = ("alert", "alert_detail", "evidence")
# The resident's confirmation after Kirim: its text holds the tracking code, and the row is kept
# apart from the report so an anonymous report has no link to the chat. Once delivered, its
# payload and recipient are forgotten, as for every row to a resident (repositories/outbox).
RECEIPT_KIND = "receipt"

# Conversation replies (conversations/replies.py).
REPLY_KINDS = ("reply",)


class CaseDeliveryHooks:
    def __init__(self, policy: AlertPolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock

    async def withheld(self, session: AsyncSession, rows: list[OutboxRow]) -> set[int]:
        """A message about a case reaches only someone who may see that case as it goes out:
        a role or a kelurahan taken away after it was queued takes it back, whatever queued
        it (an escalation reminding everyone alerted so far, a relay, a reminder)."""
        about_cases = [
            row.id for row in rows if row.report_id is not None and row.kind in CASE_MESSAGE_KINDS
        ]
        if not about_cases:
            return set()
        return set(
            await case_access.cancel_unseen(session, CASE_MESSAGE_KINDS, row_ids=about_cases)
        )

    async def delivered(self, session: AsyncSession, row: OutboxRow, message_id: int) -> None:
        if row.kind == CARD_KIND and row.report_id is not None and row.recipient_id is not None:
            # A card sent (a case handed to an officer): it follows the case from now on.
            await shown(session, row.report_id, (row.recipient_id, message_id))
            return
        if row.kind != "alert" or row.report_id is None:
            return
        # Nearly always nobody has taken it yet: look at the owner alone before loading more.
        owner = await ReportRepo(session).owner_of(row.report_id)
        if owner is None or owner == row.recipient_id:
            return
        report = await load_report(session, row.report_id)
        if (
            report is not None
            and report.owner_id is not None
            and report.owner_id != row.recipient_id
        ):
            # The alert arrived after someone took the case: say so at once.
            row.result_message_id = message_id
            name = await display_name(session, report.owner_id)
            await edit_taken_alert(session, row, report, report.owner_id, name)

    async def unreachable(self, session: AsyncSession, row: OutboxRow) -> None:
        # Any 403 (a broadcast copy, a notice, an alert): someone who blocked the bot wants no
        # awareness messages. Only /langganan subscribes them again. The broadcast's count of
        # "blocked" needs nothing here: it reads the row's status.
        if row.recipient_id is not None:
            await unsubscribe(session, row.recipient_id, self._clock.now(), reason="unreachable")
        if row.kind in ALERT_KINDS and row.report_id is not None:
            await AuditRepo(session).record(
                "alert_unreachable", actor_id=None, report_id=row.report_id
            )
            await reroute_after_unreachable(session, row.report_id, self._policy, self._clock.now())

    async def dead(self, session: AsyncSession, row: OutboxRow, reason: str) -> None:
        broadcast_id = broadcast_of_row(row)
        if broadcast_id is not None and broadcasts.SOURCE_GONE in reason:
            await broadcasts.stop_source_gone(session, broadcast_id, self._clock.now())
            return
        if row.kind in (relay.TO_STAFF, relay.TO_REPORTER) and row.report_id is not None:
            await relay.relay_dead(session, row)
            return
        if row.kind in REPLY_KINDS:
            await _reply_dead(session, row)
            return
        if row.kind == CARD_EDIT_KIND and row.recipient_id is not None:
            # The card is gone (deleted in the chat): nothing to keep up to date there.
            params = (row.payload or {}).get("params", {})
            if isinstance(params.get("message_id"), int):
                await forget(session, (row.recipient_id, params["message_id"]))
            return
        if row.kind not in ALERT_KINDS or row.report_id is None:
            return
        report = await load_report(session, row.report_id)
        code = report.code if report is not None else f"#{row.report_id}"
        await AuditRepo(session).record(
            "alert_dead", actor_id=None, report_id=row.report_id, reason=reason[:60]
        )
        for coordinator in await coordinator_ids(session):
            if coordinator == row.recipient_id:
                continue
            user = await session.get(User, coordinator)
            _ = translator(user.language if user is not None else None)
            text = _(
                "⚠️ An alert for report <code>{code}</code> could not be delivered to one "
                "recipient. Please make sure someone takes it (/kasus)."
            ).format(code=code)
            await outbox.enqueue(
                session,
                chat_id=coordinator,
                payload=outbox.message(text),
                kind="dead_letter",
                lane=outbox.Lane.URGENT,
                dedupe_key=f"dead:{row.id}:{coordinator}",
                report_id=row.report_id,
            )
        await reroute_after_unreachable(session, row.report_id, self._policy, self._clock.now())


async def _reply_dead(session: AsyncSession, row: OutboxRow) -> None:
    """A reply Telegram refuses for good (a bug of ours): the person would wait for an answer
    that never comes. They get the apology a failed update gets, once."""
    chat_id = (row.payload or {}).get("chat_id")
    if not isinstance(chat_id, int):
        return
    user = await UserRepo(session).by_telegram_id(chat_id)
    _ = translator(user.language if user is not None else None)
    text = _(
        "Sorry, something went wrong on our side. What you entered so far is kept; "
        "please try again. If someone is in danger now, call 112."
    )
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        payload=outbox.message(text),
        kind="apology",
        lane=outbox.Lane.REPLY,
        dedupe_key=f"apology:{row.id}",
    )
