"""Routing reads each officer once per update (storage/repositories/staff.py)."""

from __future__ import annotations

import gc

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.gazetteer_seed import seed_gazetteer
from storage.models import Kelurahan, OfficerArea, User, utcnow
from storage.repositories.staff import StaffRepo


async def test_officers_found_for_routing_are_not_read_again_for_their_alerts(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session)
        kelurahan = await session.scalar(select(Kelurahan.id).order_by(Kelurahan.id).limit(1))
        assert kelurahan is not None
        for officer in (801, 802):
            session.add(User(id=officer, role="officer", language="en", created_at=utcnow()))
            await session.flush()
            session.add(OfficerArea(officer_id=officer, kelurahan_id=kelurahan))
    reads: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM users" in statement:
            reads.append(statement)

    engine = session_factory.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with session_factory() as session:
            ids = [user.id for user in await StaffRepo(session).serving([kelurahan])]
            assert ids == [801, 802]
            gc.collect()  # nothing but the session refers to the rows now
            languages = [(await session.get(User, officer)).language for officer in ids]  # type: ignore[union-attr]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert languages == ["en", "en"]
    assert len(reads) == 1, reads
