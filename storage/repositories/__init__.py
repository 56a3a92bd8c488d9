"""Repositories: the domain's queries, written once. SQL lives in storage/ only (tests/
test_layers.py checks the layers above); the rest of storage/ that writes it is the
machinery under the domain (migrations, the FSM storage, key rotation, compaction, the
engine). They flush, never commit: the caller (one transaction per Telegram update, or one per
worker batch) owns the unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.audit import AuditRepo
from storage.repositories.messages import ChatMessageRepo
from storage.repositories.reports import ReportRepo
from storage.repositories.users import UserRepo


@dataclass(frozen=True, slots=True)
class Repo:
    """Every repository over one session, handed to handlers as `repo`."""

    session: AsyncSession
    users: UserRepo
    reports: ReportRepo
    audit: AuditRepo
    messages: ChatMessageRepo

    @classmethod
    def over(cls, session: AsyncSession) -> Repo:
        return cls(
            session=session,
            users=UserRepo(session),
            reports=ReportRepo(session),
            audit=AuditRepo(session),
            messages=ChatMessageRepo(session),
        )


__all__ = ["AuditRepo", "ChatMessageRepo", "Repo", "ReportRepo", "UserRepo"]
