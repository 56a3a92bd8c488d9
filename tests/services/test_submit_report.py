"""Storing a finished draft: one report per draft, and a tracking code nobody else has."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import services.reporting
from services.report_draft import Draft
from services.reporting import submit_report
from storage.gazetteer_seed import seed_gazetteer
from storage.models import Kelurahan, Report
from storage.repositories import Repo
from tests.fixtures.drafts import finished_draft

Sessions = async_sessionmaker[AsyncSession]


async def _draft(session_factory: Sessions, draft_id: str) -> Draft:
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session)
        kelurahan = await session.scalar(select(Kelurahan).order_by(Kelurahan.id).limit(1))
        assert kelurahan is not None
    return finished_draft(kelurahan.id, kelurahan.kecamatan_id, draft_id=draft_id)


async def _submit(session_factory: Sessions, draft: Draft) -> tuple[str, bool]:
    async with session_factory() as session, session.begin():
        submitted = await submit_report(Repo.over(session), draft, chat_id=5, language="id")
        return submitted.report.code, submitted.duplicate


async def test_a_taken_code_is_drawn_again_and_a_draft_is_stored_once(
    session_factory: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = iter(["LA-AAAA11", "LA-AAAA11", "LA-BBBB22"])
    monkeypatch.setattr(services.reporting, "new_code", lambda: next(codes))
    first = await _submit(session_factory, await _draft(session_factory, "draft-one"))
    assert first == ("LA-AAAA11", False)
    # The second draft draws the first one's code, then another.
    second = await _submit(session_factory, await _draft(session_factory, "draft-two"))
    assert second == ("LA-BBBB22", False)
    # A second tap on Kirim: the same report, no new row, whatever code is drawn.
    monkeypatch.setattr(services.reporting, "new_code", lambda: "LA-CCCC33")
    again = await _submit(session_factory, await _draft(session_factory, "draft-one"))
    assert again == ("LA-AAAA11", True)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 2
