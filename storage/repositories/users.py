"""Users: staff by Telegram id, residents by pseudonym (storage/identity.py).

Every lookup starts from the Telegram id the update carries and asks for both keys at once;
a row under the Telegram id itself is staff, one under the pseudonym a resident.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from storage.identity import day, is_pseudonym, pseudonym
from storage.models import CaseCard, FsmState, OutboxMessage, Subscription, User, utcnow
from storage.repositories.states import StateRow

RESIDENT = "resident"

# Built once (not on every update). A read: writing to us also means they no longer block the
# bot, but only someone marked so is written to (in seen()). It was an UPDATE ... RETURNING,
# to take SQLite's write lock at once; the update's transaction holds its write turn from the
# start (bot/middlewares/database.py), so no writer of this process comes between this read
# and the update's first write, and a user's page is no longer rewritten at every update.
_USERS = cast(Table, User.__table__)
_SEEN = select(User).where(_USERS.c.id.in_([bindparam("telegram_id"), bindparam("pseudonym")]))
# Every update reads its person and its conversation's row (aiogram's FSM asks before any
# handler): one statement for both rather than two trips.
_STATES = cast(Table, FsmState.__table__)
_SEEN_WITH_STATE = _SEEN.add_columns(_STATES.c.state, _STATES.c.data).outerjoin(
    _STATES, _STATES.c.key == bindparam("fsm_key")
)


# session.info key: Telegram id -> the id rows are kept under, for people met in this session.
KEYS = "person_keys"


def known_key(session: AsyncSession, telegram_id: int) -> int | None:
    """The id rows keep for a Telegram id already looked up in this session, else None."""
    keys: dict[int, int] = session.info.get(KEYS, {})
    return keys.get(telegram_id)


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> User | None:
        """By the id rows are kept under (staff: Telegram id; resident: pseudonym)."""
        return await self._session.get(User, user_id)

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        for key in (telegram_id, pseudonym(telegram_id)):
            known = self._session.identity_map.get(identity_key(User, key))
            if isinstance(known, User):
                return self._met(telegram_id, known)
        user: User | None = await self._session.scalar(
            select(User).where(User.id.in_([telegram_id, pseudonym(telegram_id)]))
        )
        return self._met(telegram_id, user) if user is not None else None

    async def key_of(self, telegram_id: int) -> int:
        """The id this person's rows are kept under: the Telegram id for staff, else the
        pseudonym (whether or not they have a row)."""
        known = known_key(self._session, telegram_id)
        if known is not None:
            return known
        user = await self.by_telegram_id(telegram_id)
        return user.id if user is not None else pseudonym(telegram_id)

    def _met(self, telegram_id: int, user: User) -> User:
        self._session.info.setdefault(KEYS, {})[telegram_id] = user.id
        return user

    async def seen(self, telegram_id: int, now: datetime | None = None) -> User:
        """Fetch the user, creating a resident row on first contact."""
        user, _ = await self._seen(telegram_id, now, None)
        return user

    async def seen_with_state(self, telegram_id: int, fsm_key: str) -> tuple[User, StateRow | None]:
        """`seen`, and the conversation row `fsm_key` read in the same statement; None when
        it was not read (the person was met earlier in this session, or is new)."""
        return await self._seen(telegram_id, None, fsm_key)

    async def _seen(
        self, telegram_id: int, now: datetime | None, fsm_key: str | None
    ) -> tuple[User, StateRow | None]:
        if is_pseudonym(telegram_id):
            # A row's own id given for a Telegram id would make a second, phantom person.
            raise ValueError("seen() takes a Telegram id, not a stored one")
        now = now or utcnow()
        alias = pseudonym(telegram_id)
        for key in (telegram_id, alias):
            known = self._session.identity_map.get(identity_key(User, key))
            if isinstance(known, User):
                known.blocked_at = None
                known.unreachable_at = None
                return self._met(telegram_id, known), None
        keys = {"telegram_id": telegram_id, "pseudonym": alias}
        user: User | None
        state: StateRow | None = None
        if fsm_key is None:
            user = await self._session.scalar(_SEEN, keys)
        else:
            found = (
                await self._session.execute(_SEEN_WITH_STATE, {**keys, "fsm_key": fsm_key})
            ).first()
            user = None if found is None else found[0]
            state = None if found is None else StateRow(found[1], found[2])
        if user is None:
            user = User(id=alias, role=RESIDENT, chat=str(telegram_id), created_at=day(now))
            self._session.add(user)
            await self._session.flush()
        elif user.blocked_at is not None or user.unreachable_at is not None:
            user.blocked_at = None
            user.unreachable_at = None
        return self._met(telegram_id, user), state

    async def set_language(self, telegram_id: int, language: str) -> None:
        user = await self.seen(telegram_id)
        user.language = language

    async def give_consent(self, user: User, now: datetime | None = None) -> None:
        user.consented_at = day(now or utcnow())

    async def delete(self, user_id: int) -> None:
        await self._session.execute(delete(User).where(User.id == user_id))

    async def chats(self, user_ids: list[int]) -> dict[int, int]:
        """The Telegram chat of each user (rows as they are kept), for writing to them; a
        resident whose row is gone (erased) has none."""
        if not user_ids:
            return {}
        rows = await self._session.execute(select(User.id, User.chat).where(User.id.in_(user_ids)))
        found: dict[int, int] = {}
        for user_id, chat in rows.tuples():
            if not is_pseudonym(user_id):
                found[user_id] = user_id
            elif chat is not None:
                found[user_id] = int(chat)
        return found

    async def ids_with_role(self, role: str) -> list[int]:
        rows = await self._session.scalars(select(User.id).where(User.role == role))
        return list(rows)

    async def reachable_among(self, user_ids: list[int], roles: tuple[str, ...]) -> list[int]:
        """Of these people, those with one of the roles who have not blocked the bot."""
        rows = await self._session.scalars(
            select(User.id).where(
                User.id.in_(user_ids), User.unreachable_at.is_(None), User.role.in_(roles)
            )
        )
        return list(rows)

    async def languages(self, user_ids: list[int]) -> dict[int, str | None]:
        rows = await self._session.execute(
            select(User.id, User.language).where(User.id.in_(user_ids))
        )
        return {user_id: language for user_id, language in rows.tuples()}

    async def become_staff(self, telegram_id: int, role: str) -> tuple[User, bool]:
        """The staff row under the Telegram id, with `role` if it is new; a resident row is
        moved there (language, consent, subscription). True if the person was not staff."""
        user = await self._session.get(User, telegram_id)
        if user is not None:
            return user, False
        resident = await self._session.get(User, pseudonym(telegram_id))
        now = utcnow()
        user = User(
            id=telegram_id,
            role=role,
            created_at=resident.created_at if resident is not None else day(now),
            language=resident.language if resident is not None else None,
            consented_at=resident.consented_at if resident is not None else None,
        )
        self._session.add(user)
        await self._session.flush()
        if resident is not None:
            await self._move(resident, telegram_id)
        return self._met(telegram_id, user), True

    async def become_resident(self, user: User) -> User:
        """A staff member back to resident: their row moves under the pseudonym, so from now
        on nothing new names them in clear. What they did as staff (cases, notes, the audit)
        keeps their id: that was the service's work, not a resident's."""
        if is_pseudonym(user.id):
            return user
        alias = pseudonym(user.id)
        resident = await self._session.get(User, alias)
        if resident is None:
            resident = User(
                id=alias,
                role=RESIDENT,
                chat=str(user.id),
                created_at=day(user.created_at),
                language=user.language,
                consented_at=day(user.consented_at) if user.consented_at else None,
            )
            self._session.add(resident)
            await self._session.flush()
        telegram_id = user.id
        # The case cards in their chat were the service's to keep up to date, no longer.
        await self._session.execute(delete(CaseCard).where(CaseCard.chat_id == telegram_id))
        await self._move(user, alias)
        return self._met(telegram_id, resident)

    async def _move(self, old: User, new: int) -> None:
        """Re-point what follows a person from one row to the other, then drop the old row
        (its officer areas, shifts and duty go with it: ON DELETE CASCADE)."""
        await self._session.execute(
            update(Subscription).where(Subscription.user_id == old.id).values(user_id=new)
        )
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient_id == old.id, OutboxMessage.status == "pending")
            .values(recipient_id=new)
        )
        await self._session.execute(delete(User).where(User.id == old.id))
        self._session.expunge(old)
