"""SQLAlchemy 2 models. Sensitive columns are `EncryptedText`/`EncryptedJSON` (see crypto.py).

Names of statuses and choices are stable English/Indonesian codes stored as short strings;
what users read comes from the catalogs, never from these values directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from storage.crypto import EncryptedJSON, EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """Someone who talked to the bot. Staff rows are keyed by the Telegram id; a resident's by
    a keyed pseudonym, with the chat id only encrypted (storage/identity.py). No name,
    username or phone; times to the day (storage/identity.day), as nothing needs more."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="resident")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff only: the name colleagues see ("taken by ..."); residents never get one.
    display_name: Mapped[str | None] = mapped_column(EncryptedText)
    # Set when Telegram answered 403 (the user blocked the bot); cleared when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Residents only: their Telegram id, encrypted, to write to them (broadcasts) and to find
    # their rows again when the key behind the pseudonyms changes (storage/key_rotation.py).
    chat: Mapped[str | None] = mapped_column(EncryptedText)


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    # Order of the buttons (the gazetteer file's order), and other spellings users may type.
    position: Mapped[int] = mapped_column(Integer, default=0)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    kelurahan: Mapped[list[Kelurahan]] = relationship(
        back_populates="kecamatan", order_by="Kelurahan.position"
    )


class Kelurahan(Base):
    __tablename__ = "kelurahan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("kecamatan.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Other spellings seen in sources, JSON list of strings (not sensitive).
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    kecamatan: Mapped[Kecamatan] = relationship(back_populates="kelurahan")


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # The conversation's draft id: a second tap on Kirim cannot store the report twice.
    draft_id: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="baru", index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    relation: Mapped[str] = mapped_column(String(16))
    # 32: "child_in_conflict" (17) did not fit the 16 it had, which PostgreSQL enforces.
    category: Mapped[str] = mapped_column(String(32), index=True)
    victim: Mapped[str] = mapped_column(String(16))
    victim_age: Mapped[str] = mapped_column(String(16))
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id"), index=True)
    occurred: Mapped[str] = mapped_column(String(16))
    landmark: Mapped[str | None] = mapped_column(EncryptedText)
    location: Mapped[dict[str, float] | None] = mapped_column(EncryptedJSON)
    description: Mapped[str | None] = mapped_column(EncryptedText)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    reporter_name: Mapped[str | None] = mapped_column(EncryptedText)
    reporter_phone: Mapped[str | None] = mapped_column(EncryptedText)
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_chat_id: Mapped[str | None] = mapped_column(EncryptedText)
    # HMAC of the chat id, so /hapusdata can find a user's reports without a clear link.
    reporter_chat_index: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8), default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when RETENTION wiped the case's content (services/retention.py); counts stay.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Case handling: the officer who pressed Terima first owns the case.
    owner_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0: kelurahan officers, 1: kecamatan officers, 2: coordinators.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    referral_partner: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32))
    # Follow-ups with the reporter: stopped by "Berhenti mengingatkan" or /hapusdata.
    followups_stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    last_followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counts the changes of the case's state (taken, status, owner): a button carries the
    # version its card showed, and a press from an older card changes nothing.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The questions only some categories ask (services/choices.py): ABH, the child's role;
    # TPPO, how the person was recruited, whether a border was crossed, and where they are
    # held or work (typed by the resident, so encrypted like the landmark).
    child_role: Mapped[str | None] = mapped_column(String(16))
    recruitment: Mapped[str | None] = mapped_column(String(16))
    border: Mapped[str | None] = mapped_column(String(16))
    held_at: Mapped[str | None] = mapped_column(EncryptedText)

    kelurahan: Mapped[Kelurahan] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="report", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[ReportStatusChange]] = relationship(
        back_populates="report", order_by="ReportStatusChange.id", cascade="all, delete-orphan"
    )


class ReportStatusChange(Base):
    __tablename__ = "report_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(EncryptedText)

    report: Mapped[Report] = relationship(back_populates="history")


class Evidence(Base):
    """A file attached to a report, kept as Telegram ids only (never downloaded)."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # {"file_id": ..., "chat_id": ..., "message_id": ...}: the last two let alerts copyMessage.
    source: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    is_description: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="evidence")


class AuditLog(Base):
    """Who read or changed what, when. `detail` never holds personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(48))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[str | None] = mapped_column(Text)


class OfficerArea(Base):
    """An officer is bound to one or more kelurahan."""

    __tablename__ = "officer_areas"
    __table_args__ = (UniqueConstraint("officer_id", "kelurahan_id", name="uq_officer_areas"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id"), index=True)


class Invite(Base):
    """A one-time, expiring officer invitation; only a hash of the code is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class RosterShift(Base):
    """A weekly duty shift in local time (TIMEZONE); end before start crosses midnight."""

    __tablename__ = "roster_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    end_minute: Mapped[int] = mapped_column(Integer)


class DutyOverride(Base):
    """/piket: an officer checked in or out by hand, until `until`."""

    __tablename__ = "duty_overrides"

    officer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    on_duty: Mapped[bool] = mapped_column(Boolean)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A message that must reach Telegram: written in the transaction that causes it.

    The sender claims due rows (lane first), records every attempt, and marks them sent or
    dead. `dedupe_key` makes enqueueing idempotent, so nothing is queued twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "lane", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    lane: Mapped[int] = mapped_column(Integer)  # services.outbox.Lane
    kind: Mapped[str] = mapped_column(String(24))
    # Who it is for, as users.id names them (a resident by pseudonym: storage/identity.py).
    # A resident's is forgotten once the row is sent or dead.
    recipient_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # {"method": "sendMessage", "params": {"chat_id": ..., ...}}: encrypted, it holds the
    # chat and may hold a description. Forgotten (None) once the row is sent or dead.
    payload: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(255))


class DeliveryAttempt(Base):
    """One try at sending an outbox row, kept for the record and the metrics."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))  # sent, retry_after, forbidden, ...
    error_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(255))


class Alert(Base):
    """A report's alert to one recipient, so it can be edited when someone takes the case."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("report_id", "recipient_id", "round", name="uq_alerts_round"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(BigInteger, index=True)
    level: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=0)
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduledJob(Base):
    """Work due at a time (escalations, follow-ups, reminders, digests).

    `key` is deterministic (e.g. "escalate:42:1"), so the same job is never scheduled twice
    and can be found and cancelled; the scheduler only wakes the worker that claims due rows.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_due", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseCard(Base):
    """A message in a staff member's chat that shows a case card, so that the card follows the
    case when it changes elsewhere (services/case_views.py). Staff only: their Telegram id."""

    __tablename__ = "case_cards"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_case_cards_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


class ReporterMessage(Base):
    """What the reporter is told about their case (a status update, an officer's words): the
    message itself says only "we have news for you", and this is shown when they press Open,
    in their chat only. `content` holds the sendMessage params (text, reply_markup),
    encrypted; wiped by /hapusdata and RETENTION. No timestamps: none is needed."""

    __tablename__ = "reporter_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    content: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)


class Subscription(Base):
    """A resident who asked for awareness messages, optionally for one kelurahan."""

    __tablename__ = "subscriptions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kelurahan_id: Mapped[int | None] = mapped_column(ForeignKey("kelurahan.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Broadcast(Base):
    """An awareness message composed by a coordinator, copied to its audience.

    Recipients are outbox rows keyed "broadcast:<id>:<user>", so nobody gets it twice, even
    across a restart in the middle; the counts come from those rows.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    # The composed message in the coordinator's chat, delivered with copyMessage.
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    audience: Mapped[str] = mapped_column(String(16))  # all, kecamatan, kelurahan, officers
    audience_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # The coordinator's progress message, edited as delivery goes on.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)


class FsmState(Base):
    """aiogram conversation state; `data` (the draft) is encrypted as a whole."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChatMessage(Base):
    """Message ids exchanged in a private chat, so /hapus can delete them within 48 hours.

    The chat by its pseudonym (storage/identity.chat_key), the time to the hour; pruned once
    Telegram would no longer delete them."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("chat_key", "message_id", name="uq_chat_messages_chat_message"),
        Index("ix_chat_messages_chat_at", "chat_key", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_key: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupLimit(Base):
    """Wrong /status codes per person and window, by a blind index of their Telegram id of its
    own (not the pseudonym), so erasing a resident's data does not reset their guesses."""

    __tablename__ = "lookup_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AppSetting(Base):
    """A setting coordinators change from the chat (e.g. the response-time targets).

    Kept as text by key so a new setting needs no migration; services parse and validate it.
    """

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class InboxUpdate(Base):
    """A Telegram update as it arrived, stored before Telegram is told so (the webhook's 200,
    the next getUpdates offset) and handled from here (bot/inbox.py).

    One row per update: a second delivery of the same update finds the row, so the row is
    also the replay record (kept 25 hours after arrival, as Telegram keeps an update for 24).
    `person` orders one person's updates: their pseudonym (storage/identity.chat_key), never a
    Telegram id. Once handled a row forgets `payload` (what the person wrote) and `person`;
    times are kept to the hour."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("bot_id", "update_id", name="uq_inbox_bot_update"),
        # Claims: the pending rows, and for each the person's earlier pending ones.
        Index("ix_inbox_pending", "status", "person", "update_id"),
        # Only the pending rows, oldest first: a claim does not walk the handled ones, kept
        # 25 hours (storage/repositories/inbox.py names the status as a literal for it).
        Index(
            "ix_inbox_claimable",
            "bot_id",
            "update_id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int] = mapped_column(BigInteger)
    person: Mapped[int | None] = mapped_column(BigInteger)
    # The whole update as Telegram sent it, encrypted: it holds what residents wrote.
    payload: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending, done, parked
    # Claims so far; counted when claimed, so an update that kills its handler's process is
    # parked too in the end.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


__all__ = [
    "Alert",
    "AppSetting",
    "AuditLog",
    "Base",
    "Broadcast",
    "CaseCard",
    "CaseNote",
    "ChatMessage",
    "DeliveryAttempt",
    "DutyOverride",
    "Evidence",
    "FsmState",
    "InboxUpdate",
    "Invite",
    "Kecamatan",
    "Kelurahan",
    "LookupLimit",
    "OfficerArea",
    "OutboxMessage",
    "Report",
    "ReportStatusChange",
    "ReporterMessage",
    "RosterShift",
    "ScheduledJob",
    "Subscription",
    "UTCDateTime",
    "User",
    "utcnow",
]
