"""Wiring: small factories that build the bot, the dispatcher and the database from settings."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import DisabledEventIsolation, SimpleEventIsolation
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import conversations
import locales
from bot.api_session import BotApiSession
from bot.commands import register_commands, staff_menus_at_startup
from bot.config import Settings
from bot.errors import FriendlyErrorHandler
from bot.fsm_context import clearing_fsm
from bot.housekeeping import add_housekeeping
from bot.inbox import Inbox
from bot.jobs import JobRunner
from bot.middlewares.database import DatabaseMiddleware
from bot.middlewares.language import DEFAULT_LOCALE, UserLanguageMiddleware
from bot.middlewares.one_at_a_time import OneUpdateAtATime
from bot.middlewares.retry import RetryAfterMiddleware
from bot.middlewares.sent_messages import SentMessagesMiddleware
from bot.middlewares.shared_budget import SharedBudgetMiddleware
from bot.polling import Poller, until_answered
from bot.scheduled_work import followup_policy, register_scheduled_work, schedule_daily_digest
from bot.scheduler import create_scheduler
from bot.sending import Sender
from bot.sending.budget import SenderLimits
from bot.sending.leader import Leadership, PostgresLeadership
from conversations.options import ConversationOptions
from services.alerting import AlertPolicy
from services.broadcasts import job_handlers as broadcast_job_handlers
from services.clock import Clock, SystemClock
from services.delivery import CaseDeliveryHooks
from services.gazetteer import Gazetteer
from services.gazetteer_loader import load_gazetteer
from services.i18n import compiled_catalogs
from services.quiet_hours import QuietHours
from storage import json_codec
from storage.crypto import Cipher, configure_cipher
from storage.db import create_engine, create_session_factory, is_sqlite
from storage.event_isolation import PostgresEventIsolation
from storage.fsm_storage import SQLAlchemyStorage
from storage.gazetteer_seed import seed_gazetteer
from storage.identity_upgrade import upgrade_identities
from storage.migrate import upgrade_database
from storage.repositories import Repo

log = logging.getLogger(__name__)


@dataclass
class Service:
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    i18n: I18n
    gazetteer: Gazetteer
    clock: Clock
    sender: Sender
    jobs: JobRunner
    scheduler: AsyncIOScheduler
    inbox: Inbox
    # Set to stop taking updates (SIGTERM, close()): polling stops asking, the webhook 503s.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def start_workers(self) -> None:
        await self.sender.start()
        await self.inbox.start()
        self.scheduler.start()

    def stop_receiving(self) -> None:
        self.stopping.set()

    async def close(self, patience: float = 10.0) -> None:
        """Stop as SIGTERM does: take no more updates, let those in flight finish within
        `patience` seconds and give the rest back to the inbox, send what they queued."""
        self.stop_receiving()
        # First the updates: on SQLite a handler holds the one write lock that a job waits for.
        await self.inbox.stop(patience)
        if self.scheduler.running:
            # Pause, let a running batch of jobs finish, then stop: shutdown alone cancels it.
            self.scheduler.pause()
            await self.jobs.drain()
            self.scheduler.shutdown(wait=False)
        # After the updates and jobs: what they queued is still sent before the sender stops.
        await self.sender.stop()
        await self.dispatcher.storage.close()
        # The PostgreSQL isolation has an engine of its own to dispose of.
        await self.dispatcher.fsm.events_isolation.close()
        await self.bot.session.close()
        await self.engine.dispose()


def demo_key_file(settings: Settings) -> Path:
    database = make_url(settings.database_url).database or "data/demo.sqlite3"
    return Path(database).with_suffix(".key")


def create_cipher(settings: Settings) -> Cipher:
    keys = settings.data_keys()
    if not keys and settings.demo_mode:
        # A demo keeps its throwaway key next to its database, so a restart can still read
        # what it wrote; production always takes the key from the environment.
        key_file = demo_key_file(settings)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(Cipher.generate_key())
            key_file.chmod(0o600)
        keys = [key_file.read_text().strip()]
    return Cipher(keys)


def create_bot(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Bot:
    # BotApiSession: aiogram's session, minus a per-call model rebuild (see bot/api_session.py).
    session = BotApiSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url),
        json_loads=json_codec.loads,
        json_dumps=json_codec.dumps,
    )
    bot = Bot(
        token=settings.require_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    # Registered first, so it wraps the recording middleware: a retried send is recorded once.
    bot.session.middleware(RetryAfterMiddleware())
    bot.session.middleware(SentMessagesMiddleware(session_factory))
    return bot


def create_i18n() -> I18n:
    return I18n(path=compiled_catalogs(), default_locale=DEFAULT_LOCALE, domain=locales.DOMAIN)


def alert_policy(settings: Settings) -> AlertPolicy:
    return AlertPolicy(
        ack_timeout=settings.ack_timeout,
        urgent_ack_timeout=settings.urgent_ack_timeout,
        timezone=settings.timezone,
        quiet=QuietHours(settings.quiet_hours, settings.timezone),
    )


def conversation_options(settings: Settings, clock: Clock) -> ConversationOptions:
    return ConversationOptions(
        emergency_numbers=tuple(settings.emergency_numbers),
        status_lookup_limit=settings.status_lookup_limit,
        status_lookup_window=settings.status_lookup_window,
        timezone=settings.timezone,
        alert_policy=alert_policy(settings),
        clock=clock,
        quiet_hours=QuietHours(settings.quiet_hours, settings.timezone),
        followups=followup_policy(settings),
    )


def create_dispatcher(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    i18n: I18n,
    gazetteer: Gazetteer,
    clock: Clock,
    on_outbox: Callable[[int], None],
    events_isolation: BaseEventIsolation | None = None,
) -> Dispatcher:
    # One update at a time per user: two quick taps on Kirim are handled one after the
    # other, so the second sees the report already sent.
    isolation = events_isolation or SimpleEventIsolation()
    dispatcher = Dispatcher(
        storage=SQLAlchemyStorage(session_factory),
        # Its FSM middleware is registered below, inside the update's session, and the
        # isolation goes around both (OneUpdateAtATime).
        events_isolation=DisabledEventIsolation(),
        disable_fsm=True,
        options=conversation_options(settings, clock),
        gazetteer=gazetteer,
        i18n=i18n,
        # For work after the update's commit that must not hold its transaction (/ekspor).
        session_factory=session_factory,
    )
    dispatcher.shutdown.register(isolation.close)
    dispatcher.fsm = clearing_fsm(dispatcher.fsm)
    # The user's lock, the session, then aiogram's FSM middleware: that one reads the state
    # before any handler, and outside the update's session the read took a session, a
    # transaction and (SQLite) a write turn of its own, and the handler read it again.
    dispatcher.update.outer_middleware(OneUpdateAtATime(dispatcher.fsm, isolation))
    dispatcher.update.outer_middleware(DatabaseMiddleware(session_factory, on_outbox))
    dispatcher.update.outer_middleware(dispatcher.fsm)
    # Not on errors: the failed update's session is gone; the error handler finds the language.
    UserLanguageMiddleware(i18n).setup(dispatcher, exclude={"error"})
    dispatcher.errors.register(FriendlyErrorHandler(session_factory, i18n).as_handler())
    dispatcher.include_router(conversations.setup())
    # Each staff member's chat menu first: a failure there is only logged (a chat's own menu
    # wins over the default ones whatever the order, so the order is otherwise free).
    dispatcher.startup.register(staff_menus_at_startup(session_factory))
    dispatcher.startup.register(register_commands)
    return dispatcher


async def prepare_database(settings: Settings, engine: AsyncEngine) -> Gazetteer:
    """Migrate, seed the gazetteer and the coordinators from the environment."""
    await upgrade_database(settings.database_url)
    await upgrade_identities(engine)
    session_factory = create_session_factory(engine)
    async with session_factory() as session, session.begin():
        await seed_gazetteer(session, settings.gazetteer_file)
        repo = Repo.over(session)
        for user_id in settings.coordinator_ids:
            user, _ = await repo.users.become_staff(user_id, "coordinator")
            user.role = "coordinator"
    async with session_factory() as session:
        return await load_gazetteer(session)


def create_sender(
    settings: Settings,
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession],
    rules_clock: Clock,
    pacing_clock: Clock,
) -> Sender:
    hooks = CaseDeliveryHooks(alert_policy(settings), rules_clock)
    return Sender(
        bot,
        session_factory,
        hooks,
        pacing_clock,
        create_sender_limits(settings),
        broadcast_rate=settings.broadcast_rate,
        leadership=create_leadership(session_factory),
        lease=settings.outbox_lease,
    )


def create_leadership(session_factory: async_sessionmaker[AsyncSession]) -> Leadership:
    """On PostgreSQL several instances may run and one of them sends (bot/sending/leader.py)."""
    engine = session_factory.kw["bind"]
    if engine.dialect.name == "sqlite":
        return Leadership()
    return PostgresLeadership(engine)


def create_sender_limits(settings: Settings) -> SenderLimits:
    return SenderLimits(paid_alerts=settings.alert_paid_broadcast)


async def create_service(settings: Settings, clock: Clock | None = None) -> Service:
    clock = clock or SystemClock()
    configure_cipher(create_cipher(settings))
    if is_sqlite(settings.database_url):
        log.info("database: SQLite")
    else:
        log.info("database: PostgreSQL")
    engine = create_engine(settings.database_url)
    gazetteer = await prepare_database(settings, engine)
    session_factory = create_session_factory(engine)
    i18n = create_i18n()
    bot = create_bot(settings, session_factory)
    # The sender paces itself against Telegram in real time, whatever clock the rules use
    # (tests move the rules' clock forward to make follow-ups due).
    sender = create_sender(settings, bot, session_factory, clock, SystemClock())
    if isinstance(bot.session, BotApiSession):
        bot.session.on_answer = sender.telegram_answered
    # Inside the retries: each attempt of a reply takes its own room.
    bot.session.middleware(SharedBudgetMiddleware(sender.send_elsewhere))
    jobs = JobRunner(session_factory, clock, alert_policy(settings), sender.wake)
    # --- Scheduled work: follow-ups, officer reminders, daily digest (bot/scheduled_work.py) ---
    register_scheduled_work(jobs, settings, clock)
    await schedule_daily_digest(session_factory, settings, clock)
    # --- end of scheduled work ---
    dispatcher = create_dispatcher(
        settings, session_factory, i18n, gazetteer, clock, sender.wake,
        create_event_isolation(settings.database_url),
    )  # fmt: skip
    inbox = Inbox(dispatcher, bot, session_factory, clock, lease=settings.inbox_lease)
    sender.busy = lambda: inbox.in_flight
    scheduler = create_scheduler(
        [
            ("jobs", settings.job_tick.total_seconds(), jobs.run_due),
            # The sender is woken on every commit; the tick only catches what was missed.
            ("sender", settings.job_tick.total_seconds(), _as_async(sender.wake)),
            # Woken whenever this instance stores an update; the tick finds the others' rows,
            # leases that ran out and retries that fell due.
            ("inbox", settings.job_tick.total_seconds(), inbox.tick),
        ]
    )
    add_housekeeping(scheduler, settings, session_factory, clock)
    # --- Broadcasts (services/broadcasts.py): the job that starts sending one when it is due,
    # and the job that edits its progress message until the final count. ---
    for kind, handler in broadcast_job_handlers(clock).items():
        jobs.register(kind, handler)
    # --- end of broadcasts ---
    return Service(
        settings, bot, dispatcher, engine, session_factory, i18n, gazetteer, clock, sender, jobs,
        scheduler, inbox,
    )  # fmt: skip


def create_event_isolation(database_url: str) -> BaseEventIsolation:
    """In-process locks on SQLite (one instance only); advisory locks on PostgreSQL, where
    several instances may take updates of the same user."""
    if is_sqlite(database_url):
        return SimpleEventIsolation()
    return PostgresEventIsolation(database_url)


def _as_async(function: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def tick() -> None:
        function()

    return tick


async def run_polling(service: Service, *, handle_signals: bool = True) -> None:
    """Long polling into the inbox (bot/polling.py) until SIGTERM/SIGINT or
    `service.stop_receiving()`; the caller closes the service."""
    bot, dispatcher = service.bot, service.dispatcher
    # Switching back from webhook mode just works; updates waiting at Telegram stay.
    if not await until_answered(
        lambda: bot.delete_webhook(drop_pending_updates=False), "deleteWebhook", service.stopping
    ):
        return
    await service.start_workers()
    workflow = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data}
    await dispatcher.emit_startup(bot=bot, **workflow)
    poller = Poller(bot, service.inbox, allowed_updates=dispatcher.resolve_used_update_types())
    loop = asyncio.get_running_loop()
    if handle_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, service.stop_receiving)
    log.info("polling")
    try:
        await poller.run(service.stopping)
        log.info("stopping: no new updates; finishing those in flight")
    finally:
        try:
            await dispatcher.emit_shutdown(bot=bot, **workflow)
        except Exception:
            log.exception("polling: a shutdown handler failed")
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
