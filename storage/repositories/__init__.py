"""Repositories: the only code that writes SQL. They flush, never commit: the caller (one
transaction per Telegram update, or one per worker batch) owns the unit of work."""

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
