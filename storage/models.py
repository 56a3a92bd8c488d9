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
    """A Telegram user who talked to the bot. Holds no name, username or phone."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="resident")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_lookup_failures: Mapped[int] = mapped_column(Integer, default=0)
    status_lookup_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
    category: Mapped[str] = mapped_column(String(16), index=True)
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


class FsmState(Base):
    """aiogram conversation state; `data` (the draft) is encrypted as a whole."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChatMessage(Base):
    """Message ids exchanged in a private chat, so /hapus can delete them within 48 hours."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", name="uq_chat_messages_chat_message"),
        Index("ix_chat_messages_chat_at", "chat_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "AuditLog",
    "Base",
    "ChatMessage",
    "Evidence",
    "FsmState",
    "Kecamatan",
    "Kelurahan",
    "Report",
    "ReportStatusChange",
    "UTCDateTime",
    "User",
    "utcnow",
]
