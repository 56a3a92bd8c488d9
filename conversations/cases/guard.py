"""A press on a case button, as its handler gets it: the checks every case button starts with
(the presser's rights, and for a button that changes the case, that the card it is on still
shows the case as it is), and what the handlers do with a press, on one object. Built for
every case button by `CasePressMiddleware`, so each handler takes one argument, as the
report's handlers take their StepContext."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import CallbackQuery, InaccessibleMessage, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import replies
from conversations.callbacks import CaseCb
from conversations.cases.card import show_card
from conversations.options import ConversationOptions
from services import labels
from services.alerting import load_report
from services.case_views import CardRef, display_name
from services.cases import NotAllowed, Press, Stale, may_change, may_see, record_refusal
from storage.models import Report
from storage.repositories import Repo
from storage.session_context import after_commit

# Telegram shows at most 200 characters in a button's answer.
_ANSWER_LIMIT = 200


@dataclass(frozen=True)
class CasePress:
    callback: CallbackQuery
    data: CaseCb
    bot: Bot
    repo: Repo
    i18n: I18n
    options: ConversationOptions

    @property
    def user_id(self) -> int:
        return self.callback.from_user.id

    @property
    def press(self) -> Press:
        """What the services need to know of a press on a card."""
        return Press(version=self.data.version, card=self.card(), tz=self.options.timezone)

    def card(self) -> CardRef | None:
        message = self.callback.message
        if message is None or isinstance(message, InaccessibleMessage) or not message.text:
            return None  # not a card (a photo, or a message too old to reach)
        return self.user_id, message.message_id

    async def changeable(self, refusal: str) -> Report | None:
        """The case, if the presser may change it; otherwise refuse, audit-log, return None."""
        return await self._case_if(may_change, refusal)

    async def current(self, refusal: str) -> Report | None:
        """The case, if the presser may change it and the pressed card shows it as it is now;
        a press from an older card is refused with the reason, and the card redrawn."""
        report = await self.changeable(refusal)
        if report is None:
            return None
        if self.data.version is not None and self.data.version == report.version:
            return report
        await self.stale(report)
        return None

    async def visible(self, refusal: str) -> Report | None:
        """The case, if the presser may see it; otherwise refuse, audit-log, return None."""
        return await self._case_if(may_see, refusal)

    async def _case_if(
        self, allowed: Callable[[AsyncSession, Report, int], Awaitable[bool]], refusal: str
    ) -> Report | None:
        report = await load_report(self.repo.session, self.data.report_id)
        if report is not None and await allowed(self.repo.session, report, self.user_id):
            return report
        await self.refuse_case(refusal)
        return None

    async def stale(self, report: Report) -> None:
        """The case changed since the pressed card was drawn (on another card, by someone
        else): nothing changes, the presser is told why, and the card shows the case as it is
        now."""
        await self.repo.audit.record(
            "case_button_stale", actor_id=self.user_id, report_id=report.id
        )
        state = labels.label(_, labels.STATUS, report.status)
        if report.owner_id is not None:
            state = _("{status}, handled by {name}").format(
                status=state, name=await display_name(self.repo.session, report.owner_id)
            )
        text = _(
            "This card was out of date: case {code} is now: {state}. The card has been updated; "
            "press again if you still need to."
        ).format(code=report.code, state=state)
        await replies.answer(self.callback, text[:_ANSWER_LIMIT], show_alert=True)
        await self.show_card(report)

    async def attempt(self, change: Awaitable[Report]) -> Report | None:
        """A change to the case as the presser asked for it; None when the services refused
        it (the presser hears so) or the press came from an older card (the card is
        redrawn)."""
        try:
            return await change
        except NotAllowed:
            self.refuse()
        except Stale as stale:
            await self.stale(stale.report)
        return None

    async def show_card(self, report: Report) -> None:
        await show_card(self.callback, self.bot, self.repo, report, self.i18n, self.options)

    async def refuse_case(self, refusal: str) -> None:
        """Audit-log a refused press on this case's button, then say no."""
        await record_refusal(
            self.repo.session, refusal, actor_id=self.user_id, report_id=self.data.report_id
        )
        self.refuse()

    def refuse(self) -> None:
        """Say no once the update has committed: by the time the presser sees the refusal, it
        is in the audit log."""
        text = _("You are not allowed to do this.")  # in the update's language, read now
        after_commit(self.repo.session, replies.answering(self.callback, text, show_alert=True))


class CasePressMiddleware(BaseMiddleware):
    """Gives a case button's handler its `case` (once the button's filter has read the
    callback data)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        callback_data = data.get("callback_data")
        if isinstance(event, CallbackQuery) and isinstance(callback_data, CaseCb):
            data["case"] = CasePress(
                event, callback_data, data["bot"], data["repo"], data["i18n"], data["options"]
            )
        return await handler(event, data)
