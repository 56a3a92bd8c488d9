"""aiogram's FSM context and middleware, with a clear() that is one statement.

Every finished or cancelled conversation ends with `state.clear()`; aiogram makes that two
writes (no state, then no data). With our storage it is one DELETE (SQLAlchemyStorage.forget).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import DEFAULT_DESTINY
from aiogram.fsm.strategy import FSMStrategy

from storage.fsm_storage import SQLAlchemyStorage


class ClearingFSMContext(FSMContext):
    async def clear(self) -> None:
        if isinstance(self.storage, SQLAlchemyStorage):
            await self.storage.forget(self.key)
            return
        await super().clear()


class ClearingFSMContextMiddleware(FSMContextMiddleware):
    def resolve_context(
        self,
        bot: Bot,
        chat_id: int | None,
        user_id: int | None,
        thread_id: int | None = None,
        business_connection_id: str | None = None,
        destiny: str = DEFAULT_DESTINY,
    ) -> FSMContext | None:
        context = super().resolve_context(
            bot, chat_id, user_id, thread_id, business_connection_id, destiny
        )
        if context is None:
            return None
        return ClearingFSMContext(storage=context.storage, key=context.key)


def clearing_fsm(fsm: FSMContextMiddleware) -> ClearingFSMContextMiddleware:
    """The same middleware (storage, strategy, isolation), with ClearingFSMContext."""
    strategy: FSMStrategy = fsm.strategy
    return ClearingFSMContextMiddleware(
        storage=fsm.storage, events_isolation=fsm.events_isolation, strategy=strategy
    )
