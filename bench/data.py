"""Rows written straight into the bot's database from the bench process.

The bot reads them as if people had made them: officers on duty, subscribers, a broadcast's
outbox rows, a year of cases. Every write goes through the model's column types, so sensitive
fields are encrypted with the DATA_KEY the bot gets (storage.crypto.configure_cipher), exactly
as the bot would have stored them.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.harness import COORDINATOR_ID, BotConfig
from bot.app import alert_policy, prepare_database
from bot.config import Settings
from playground.emulator import BotAPIEmulator
from services import outbox
from services.alerting import dispatch_new_report
from services.report_draft import Draft
from services.reporting import submit_report
from services.tracking_code import new_code
from storage.crypto import Cipher, configure_cipher, get_cipher
from storage.db import create_engine, create_session_factory
from storage.identity import day, pseudonym
from storage.models import (
    Alert,
    AuditLog,
    Broadcast,
    DeliveryAttempt,
    DutyOverride,
    Kelurahan,
    OfficerArea,
    OutboxMessage,
    Report,
    ReportStatusChange,
    ScheduledJob,
    Subscription,
    User,
    utcnow,
)
from storage.repositories import Repo

OFFICER_BASE = 800_000
BATCH = 2_000


@contextlib.asynccontextmanager
async def database(config: BotConfig) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the bot's database, encrypting with the bot's key."""
    configure_cipher(Cipher([config.data_key]))
    engine = create_engine(config.database.url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def settings_for(config: BotConfig) -> Settings:
    return Settings(
        _env_file=None,
        database_url=config.database.url,
        data_key=SecretStr(config.data_key),
        coordinator_ids=[COORDINATOR_ID],
    )


async def prepare(config: BotConfig) -> None:
    """Migrate and seed (gazetteer, coordinator) as the bot does at start-up, so rows can be
    added before the bot first runs."""
    configure_cipher(Cipher([config.data_key]))
    engine = create_engine(config.database.url)
    try:
        await prepare_database(settings_for(config), engine)
    finally:
        await engine.dispose()


async def kelurahan_ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list(await session.scalars(select(Kelurahan.id).order_by(Kelurahan.id)))


async def add_officers(
    sessions: async_sessionmaker[AsyncSession], per_kelurahan: int = 1
) -> dict[int, int]:
    """`per_kelurahan` officers on duty (a /piket override) in every kelurahan: officer id to
    kelurahan id."""
    now = utcnow()
    officers: dict[int, int] = {}
    async with sessions() as session, session.begin():
        for index, kel_id in enumerate(await kelurahan_ids(sessions)):
            for n in range(per_kelurahan):
                officer_id = OFFICER_BASE + index * 10 + n
                officers[officer_id] = kel_id
                session.add(
                    User(
                        id=officer_id,
                        role="officer",
                        language="id",
                        display_name=f"Petugas {officer_id}",
                        created_at=now,
                    )
                )
                await session.flush()
                session.add(OfficerArea(officer_id=officer_id, kelurahan_id=kel_id))
                session.add(
                    DutyOverride(officer_id=officer_id, on_duty=True, until=now + timedelta(days=2))
                )
    return officers


def register_people(emulator: BotAPIEmulator, token: str, ids: Iterable[int]) -> None:
    """Telegram only delivers to people who opened the bot: the emulator must know them."""
    for user_id in ids:
        emulator.user(user_id, f"Warga {user_id}", token=token)


async def _insert_batches(
    session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]]
) -> None:
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(table), list(rows[start : start + BATCH]))


async def add_residents(
    sessions: async_sessionmaker[AsyncSession],
    ids: Sequence[int],
    *,
    subscribed: bool,
) -> None:
    """Residents who opened the bot and agreed; subscribers of awareness messages if asked."""
    now = utcnow()
    kelurahan = await kelurahan_ids(sessions)
    # As the bot keeps residents: by pseudonym, the chat encrypted (storage/identity.py).
    users = [
        {
            "id": pseudonym(user_id),
            "language": "id",
            "role": "resident",
            "consented_at": day(now),
            "created_at": day(now),
            "chat": str(user_id),
        }
        for user_id in ids
    ]
    async with sessions() as session, session.begin():
        await _insert_batches(session, User, users)
        if subscribed:
            subscriptions = [
                {
                    "user_id": pseudonym(user_id),
                    "kelurahan_id": kelurahan[user_id % len(kelurahan)],
                    "active": True,
                    "subscribed_at": day(now),
                }
                for user_id in ids
            ]
            await _insert_batches(session, Subscription, subscriptions)


async def enqueue_broadcast(
    sessions: async_sessionmaker[AsyncSession],
    emulator: BotAPIEmulator,
    token: str,
    recipients: Sequence[int],
) -> int:
    """A coordinator's awareness message copied to every recipient, queued as the broadcast
    feature queues it (one outbox row per recipient, dedupe key broadcast:<id>:<user>)."""
    coordinator = emulator.user(COORDINATOR_ID, "Koordinator", token=token)
    bot = emulator.state.bots[token]
    chat = emulator.state.private_chat(bot, coordinator.info)
    # Composed earlier in the coordinator's chat; added to the emulator without an update.
    source = emulator.state.add_message(
        bot,
        chat,
        from_bot=False,
        sender=coordinator.info.to_api(),
        content={"text": "Kenali tanda kekerasan pada anak. Laporkan lewat /lapor."},
    )
    now = utcnow()
    async with sessions() as session, session.begin():
        broadcast = Broadcast(
            created_by=COORDINATOR_ID,
            source_chat_id=COORDINATOR_ID,
            source_message_id=source.message_id,
            audience="all",
            status="sending",
            created_at=now,
            started_at=now,
            recipients=len(recipients),
        )
        session.add(broadcast)
        await session.flush()
        payload = outbox.call(
            "copyMessage", from_chat_id=COORDINATOR_ID, message_id=source.message_id
        )
        for user_id in recipients:
            await outbox.enqueue(
                session,
                chat_id=user_id,
                payload=payload,
                kind="broadcast",
                lane=outbox.Lane.BROADCAST,
                dedupe_key=f"broadcast:{broadcast.id}:{pseudonym(user_id)}",
            )
        return broadcast.id


async def file_reports(
    config: BotConfig, sessions: async_sessionmaker[AsyncSession], count: int
) -> list[str]:
    """Reports as the conversation stores them, routed in the same transaction (like
    tests/cases/staffing.py); spread over the kelurahan. Their tracking codes."""
    policy = alert_policy(settings_for(config))
    kelurahan = await _kelurahan_with_kecamatan(sessions)
    codes: list[str] = []
    for index in range(count):
        kel_id, kec_id = kelurahan[index % len(kelurahan)]
        draft = Draft(
            urgent=False,
            relation="witness",
            category="physical",
            victim="girl",
            victim_age="6-12",
            kecamatan_id=kec_id,
            kelurahan_id=kel_id,
            occurred="today",
            description_parts=["Tetangga memukul anaknya setiap malam."],
            anonymous=True,
            consent=False,
        )
        async with sessions() as session, session.begin():
            submitted = await submit_report(
                Repo.over(session), draft, chat_id=700_000 + index, language="id"
            )
            await dispatch_new_report(session, submitted.report.id, policy, utcnow())
            codes.append(submitted.report.code)
    return codes


async def _kelurahan_with_kecamatan(
    sessions: async_sessionmaker[AsyncSession],
) -> list[tuple[int, int]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Kelurahan.id, Kelurahan.kecamatan_id).order_by(Kelurahan.id)
        )
        return [(int(kel), int(kec)) for kel, kec in rows.tuples()]


# --- a year of cases, for the footprint ------------------------------------------------------

STATUSES = ("baru", "ditangani", "dirujuk", "selesai", "selesai", "selesai")
CATEGORIES = ("physical", "psychological", "sexual", "exploitation", "trafficking", "neglect")


@dataclass
class CaseRows:
    """The rows one routed and handled case leaves behind, as the bot writes them."""

    reports: list[dict[str, Any]]
    side: dict[Any, list[dict[str, Any]]]


def _case_rows(
    first_id: int, first_outbox_id: int, count: int, officers: dict[int, int], rng: random.Random
) -> CaseRows:
    now = utcnow()
    cipher = get_cipher()
    codes: set[str] = set()
    reports: list[dict[str, Any]] = []
    # In foreign-key order: inserted one table after the other.
    side: dict[Any, list[dict[str, Any]]] = {
        OutboxMessage: [],
        DeliveryAttempt: [],
        Alert: [],
        AuditLog: [],
        ReportStatusChange: [],
        ScheduledJob: [],
    }
    description = (
        "Tetangga sering memukul anaknya yang masih kecil, terutama malam hari. Anak itu "
        "terlihat ketakutan dan ada memar di lengannya. Kami khawatir keadaannya memburuk."
    )
    staff = sorted(officers)
    for offset in range(count):
        report_id = first_id + offset
        outbox_id = first_outbox_id + offset
        while (code := new_code()) in codes:
            pass
        codes.add(code)
        created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        officer = staff[report_id % len(staff)]
        # Older cases are closed; the last month's are at every stage.
        recent = now - created < timedelta(days=30)
        status = STATUSES[report_id % len(STATUSES)] if recent else "selesai"
        consent = report_id % 3 == 0
        handled = status != "baru"
        reports.append(
            {
                "id": report_id,
                "code": code,
                "draft_id": str(uuid.uuid4()),
                "status": status,
                "urgent": report_id % 10 == 0,
                "relation": "witness",
                "category": CATEGORIES[report_id % len(CATEGORIES)],
                "victim": "girl",
                "victim_age": "6-12",
                "kelurahan_id": officers[officer],
                "occurred": "today",
                "landmark": "Dekat masjid, gang kedua" if report_id % 2 else None,
                "location": None,
                "description": description,
                "anonymous": not consent,
                "reporter_name": None,
                "reporter_phone": None,
                "contact_consent": consent,
                "reporter_chat_id": str(500_000 + report_id) if consent else None,
                "reporter_chat_index": cipher.blind_index(str(500_000 + report_id))
                if consent
                else None,
                "language": "id",
                "created_at": created,
                "updated_at": created,
                "owner_id": officer if handled else None,
                "acknowledged_at": created + timedelta(minutes=5) if handled else None,
                "closed_at": created + timedelta(days=3) if status == "selesai" else None,
                "escalation_level": 0,
                "followups_stopped": False,
            }
        )
        audit: list[tuple[str, int | None]] = [("report_submitted", None), ("report_routed", None)]
        if handled:
            audit += [
                ("case_taken", officer),
                ("case_viewed", officer),
                ("status_changed", officer),
            ]
        side[AuditLog] += [
            {"at": created, "action": action, "actor_id": actor, "report_id": report_id}
            for action, actor in audit
        ]
        side[OutboxMessage].append(
            {
                "id": outbox_id,
                "dedupe_key": f"alert:{report_id}:{officer}:0",
                "lane": outbox.Lane.ALERT,
                "kind": "alert",
                "chat_id": officer,
                "payload": outbox.message(
                    f"🔔 <b>Laporan baru</b> <code>{code}</code>\n{description}",
                    {
                        "inline_keyboard": [
                            [{"text": "✅ Terima", "callback_data": f"c:t:{report_id}"}]
                        ]
                    },
                ),
                "report_id": report_id,
                "status": "sent",
                "attempts": 0,
                "not_before": created,
                "created_at": created,
                "sent_at": created,
                "result_message_id": outbox_id,
            }
        )
        side[DeliveryAttempt].append({"outbox_id": outbox_id, "at": created, "outcome": "sent"})
        side[Alert].append(
            {
                "report_id": report_id,
                "recipient_id": officer,
                "level": 0,
                "round": 0,
                "outbox_id": outbox_id,
                "created_at": created,
            }
        )
        side[ScheduledJob].append(
            {
                "key": f"escalate:{report_id}:1",
                "kind": "escalate",
                "report_id": report_id,
                "due_at": created + timedelta(minutes=15),
                "payload": {"step": 1},
                "done_at": created + timedelta(minutes=5),
                "cancelled": handled,
                "attempts": 0,
            }
        )
        if handled:
            side[ReportStatusChange].append(
                {"report_id": report_id, "status": status, "at": created, "actor_id": officer}
            )
    return CaseRows(reports, side)


async def add_cases(
    sessions: async_sessionmaker[AsyncSession], count: int, officers: dict[int, int]
) -> None:
    """`count` cases of the past year with their alerts, outbox rows, audit trail and status
    history, in bulk (Core executemany through the model types: encrypted like the bot's)."""
    rng = random.Random(20_000)
    async with sessions() as session:
        first = await _next_id(session, Report.id)
        first_outbox = await _next_id(session, OutboxMessage.id)
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        rows = _case_rows(first + start, first_outbox + start, size, officers, rng)
        async with sessions() as session, session.begin():
            await session.execute(insert(Report), rows.reports)
            for table, table_rows in rows.side.items():
                if table_rows:
                    await session.execute(insert(table), table_rows)


async def _next_id(session: AsyncSession, column: Any) -> int:
    # Explicit ids let the side rows point at their case without a round trip per row. (On
    # PostgreSQL the sequences would not follow: the footprint figure runs on SQLite.)
    return int(await session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


async def staffed_database(
    config: BotConfig, emulator: BotAPIEmulator, token: str
) -> dict[int, int]:
    """Migrated and seeded, one officer on duty in every kelurahan (known to the emulator):
    officer id to kelurahan id."""
    await prepare(config)
    async with database(config) as sessions:
        officers = await add_officers(sessions)
    register_people(emulator, token, officers)
    return officers
