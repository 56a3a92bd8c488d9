"""Case cards in staff chats: drawn for one reader, remembered, and kept in step with the case.

A card is shown by editing the message whose button was pressed (an alert, the /kasus list, a
reminder), or sent to an officer a coordinator handed the case to. Each such message is
remembered (models.CaseCard); when the case changes, every other card of it is edited through
the outbox into the case as it is now, in its reader's language and with their buttons. An
edit for someone who may no longer see the case is withheld by the sender like any case
message (services/delivery.py), and a press on what it would have replaced is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.case_card import CardFacts, Viewer, case_card
from services.roles import COORDINATOR, role_of
from storage.models import Report, User
from storage.repositories.case_cards import CaseCardRepo
from storage.repositories.case_notes import CaseNoteRepo

CARD_KIND = "case_card"  # a card sent to someone (an officer a case was handed to)
CARD_EDIT_KIND = "case_card_edit"  # an older card brought up to date

# Where a card is: (chat, message).
CardRef = tuple[int, int]


async def display_name(session: AsyncSession, user_id: int) -> str:
    user = await session.get(User, user_id)
    return (user.display_name if user is not None else None) or f"#{user_id}"


async def viewer_of(session: AsyncSession, report: Report, user_id: int) -> Viewer:
    coordinator = await role_of(session, user_id) == COORDINATOR
    return Viewer(may_change=coordinator or report.owner_id == user_id, coordinator=coordinator)


async def facts_of(session: AsyncSession, report: Report) -> CardFacts:
    owner = await display_name(session, report.owner_id) if report.owner_id else None
    return CardFacts(owner_name=owner, notes=await CaseNoteRepo(session).count(report.id))


async def card_for(
    session: AsyncSession,
    report: Report,
    user_id: int,
    language: str | None,
    tz: ZoneInfo,
    now: datetime,
) -> tuple[str, dict[str, Any] | None]:
    """The card of `report` as `user_id` sees it (text, keyboard)."""
    facts = await facts_of(session, report)
    viewer = await viewer_of(session, report, user_id)
    return case_card(report, language, tz, facts, now, viewer)


async def shown(session: AsyncSession, report_id: int, card: CardRef) -> None:
    await CaseCardRepo(session).shown(report_id, *card)


async def forget(session: AsyncSession, card: CardRef) -> None:
    await CaseCardRepo(session).forget(*card)


async def refresh_cards(
    session: AsyncSession,
    report: Report,
    tz: ZoneInfo | None,
    now: datetime,
    *,
    pressed: CardRef | None = None,
) -> None:
    """Bring every card of `report` but the `pressed` one (redrawn by its own update) up to
    date. One edit per card and state of the case: the same change handled twice edits once."""
    zone = tz or ZoneInfo("UTC")
    notes = await CaseNoteRepo(session).count(report.id)
    for card in await CaseCardRepo(session).of_report(report.id):
        if (card.chat_id, card.message_id) == pressed:
            continue
        reader = await session.get(User, card.chat_id)
        language = reader.language if reader is not None else None
        text, keyboard = await card_for(session, report, card.chat_id, language, zone, now)
        params: dict[str, Any] = {"message_id": card.message_id, "text": text}
        params["parse_mode"] = "HTML"
        # Without a keyboard Telegram removes the one the message had.
        if keyboard is not None:
            params["reply_markup"] = keyboard
        await outbox.enqueue(
            session,
            chat_id=card.chat_id,
            payload=outbox.call("editMessageText", **params),
            kind=CARD_EDIT_KIND,
            lane=outbox.Lane.ALERT,
            dedupe_key=f"card:{report.id}:{report.version}.{notes}:{card.chat_id}:{card.message_id}",
            report_id=report.id,
        )


async def send_card(
    session: AsyncSession,
    report: Report,
    recipient: int,
    title: str,
    tz: ZoneInfo,
    now: datetime,
    *,
    dedupe_key: str,
) -> int | None:
    """Send `recipient` the card of `report` under `title` (through the outbox; remembered as
    a card once delivered, services/delivery.py). Returns the outbox row's id."""
    reader = await session.get(User, recipient)
    language = reader.language if reader is not None else None
    text, keyboard = await card_for(session, report, recipient, language, tz, now)
    return await outbox.enqueue(
        session,
        chat_id=recipient,
        payload=outbox.message(f"{title}\n\n{text}", keyboard),
        kind=CARD_KIND,
        lane=outbox.Lane.URGENT if report.urgent else outbox.Lane.ALERT,
        dedupe_key=dedupe_key,
        report_id=report.id,
    )
