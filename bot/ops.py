"""Operations endpoints: `/healthz` and Prometheus `/metrics`.

Served on the webhook's aiohttp app in webhook mode, and on a small listener of their own
(METRICS_LISTEN) in polling mode. Each service gets its own Prometheus registry, so several
bots in one process (the tests) do not share counters.

Database figures (outbox depth, unacknowledged alerts, time to acknowledge) are read when
Prometheus scrapes, not kept in memory: with several instances each one reports the shared
truth, and a restart loses nothing. Labels never carry a chat id, a code or anything a
resident wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.app import Service
from bot.config import parse_listen
from services.cases import OPEN_STATUSES
from services.outbox import Lane
from storage.repositories import inbox as inbox_rows
from storage.repositories import ops as ops_rows

log = logging.getLogger(__name__)

# Time-to-acknowledge buckets, in seconds: URGENT_ACK_TIMEOUT and ACK_TIMEOUT (5 and 15
# minutes by default) fall on bucket edges, so "acknowledged in time" can be read off.
ACK_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0)
# Cases acknowledged within this window feed the histogram ("recent cases").
ACK_WINDOW = timedelta(days=7)
HEALTH_TIMEOUT = 3.0
LANE_NAMES = {
    Lane.URGENT: "urgent",
    Lane.ALERT: "alerts",
    Lane.RELAY: "relays",
    Lane.REPLY: "replies",
    Lane.NOTICE: "notices",
    Lane.BROADCAST: "broadcasts",
}


@dataclass
class _Snapshot:
    """What the last scrape read from the database; the collector only formats it."""

    outbox_by_lane: dict[int, int] = field(default_factory=dict)
    inbox_by_status: dict[str, int] = field(default_factory=dict)
    unacknowledged: int = 0
    ack_seconds: list[float] = field(default_factory=list)
    database_up: bool = False


class _ServiceCollector(Collector):
    def __init__(self, service: Service, snapshot: _Snapshot) -> None:
        self._service = service
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self._snapshot
        depth = GaugeMetricFamily(
            "lapor_aman_outbox_pending",
            "Outbox messages waiting to be sent, by lane",
            labels=["lane"],
        )
        for lane, name in LANE_NAMES.items():
            depth.add_metric([name], snap.outbox_by_lane.get(lane, 0))
        yield depth
        inbox = GaugeMetricFamily(
            "lapor_aman_inbox_updates",
            "Updates in the inbox waiting to be handled (pending) or given up on (parked)",
            labels=["status"],
        )
        for status in (inbox_rows.PENDING, inbox_rows.PARKED):
            inbox.add_metric([status], snap.inbox_by_status.get(status, 0))
        yield inbox
        yield GaugeMetricFamily(
            "lapor_aman_alerts_unacknowledged",
            "Open reports nobody has pressed Terima on yet",
            value=snap.unacknowledged,
        )
        yield _ack_histogram(snap.ack_seconds)
        yield GaugeMetricFamily(
            "lapor_aman_database_up", "1 when the last scrape reached the database",
            value=1 if snap.database_up else 0,
        )  # fmt: skip
        counters = self._service.sender.counters.as_dict()
        for name, description in (
            ("sent", "Outbox rows delivered"),
            ("messages", "Telegram messages sent by the sender (combined alerts count once)"),
            ("combined", "Outbox rows delivered inside a combined alert"),
            ("rate_limited", "429 Too Many Requests answers"),
            ("forbidden", "403 answers (the user blocked the bot)"),
            ("server_errors", "5xx answers"),
            ("network_errors", "Network errors and timeouts"),
            ("dead", "Outbox rows given up on (dead-lettered)"),
            ("paid", "Alerts sent as paid broadcasts (0.1 Telegram Stars each)"),
        ):
            yield CounterMetricFamily(
                f"lapor_aman_sender_{name}", description, value=counters.get(name, 0)
            )
        handled = self._service.inbox.counters.as_dict()
        for name, description in (
            ("stored", "Updates this instance stored in the inbox (not counting replays)"),
            ("handled", "Inbox updates this instance handled to their commit"),
            ("retried", "Failed attempts at an update that will be tried again"),
            ("parked", "Updates this instance gave up on (every attempt failed)"),
        ):
            yield CounterMetricFamily(
                f"lapor_aman_inbox_{name}", description, value=handled.get(name, 0)
            )


def _ack_histogram(samples: list[float]) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = []
    for edge in ACK_BUCKETS:
        buckets.append((repr(edge), float(sum(1 for s in samples if s <= edge))))
    buckets.append(("+Inf", float(len(samples))))
    return HistogramMetricFamily(
        "lapor_aman_time_to_acknowledge_seconds",
        f"From report to Terima, for cases acknowledged in the last {ACK_WINDOW.days} days",
        buckets=buckets,
        sum_value=sum(samples),
    )


class _UpdateCounter(BaseMiddleware):
    """Counts every update by type and outcome; knows nothing of its content."""

    def __init__(self, counter: Counter) -> None:
        self._counter = counter

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else "unknown"
        try:
            result = await handler(event, data)
        except Exception:
            self._counter.labels(type=kind, outcome="error").inc()
            raise
        self._counter.labels(type=kind, outcome="ok").inc()
        return result


class Operations:
    """Health and metrics of one Service."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "lapor_aman_updates_handled",
            "Telegram updates handled, by type and outcome",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.webhook_requests = Counter(
            "lapor_aman_webhook_requests",
            "Webhook requests by answer (accepted, duplicate, unauthorized, forbidden, "
            "bad_request, too_large, unavailable)",
            ["result"],
            registry=self.registry,
        )
        self._snapshot = _Snapshot()
        self.registry.register(_ServiceCollector(service, self._snapshot))
        self._refresh_lock = asyncio.Lock()

    def install(self, dispatcher: Dispatcher) -> None:
        """Count updates: call once, before the dispatcher starts taking updates."""
        dispatcher.update.outer_middleware(_UpdateCounter(self.updates))

    # --- health ---------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        database = await self._database_reachable()
        # The sender keeps its loop task private; a finished task means the loop died.
        task: asyncio.Task[None] | None = getattr(self.service.sender, "_task", None)
        sender = task is not None and not task.done()
        scheduler = bool(self.service.scheduler.running)
        inbox = self.service.inbox.running
        return {
            "status": "ok" if database and sender and scheduler and inbox else "unavailable",
            "database": database,
            "sender": sender,
            "scheduler": scheduler,
            "inbox": inbox,
        }

    async def _database_reachable(self) -> bool:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with self.service.engine.connect() as connection:
                    await ops_rows.ping(connection)
        except Exception:
            # The cause goes to the log, not to the unauthenticated caller.
            log.warning("healthz: database unreachable", exc_info=True)
            return False
        return True

    # --- metrics --------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read the database figures for the next exposition."""
        async with self._refresh_lock:
            snap = self._snapshot
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    await self._read(snap)
                snap.database_up = True
            except Exception:
                log.warning("metrics: database figures unavailable", exc_info=True)
                snap.database_up = False

    async def _read(self, snap: _Snapshot) -> None:
        service = self.service
        snap.outbox_by_lane = await service.sender.pending_by_lane()
        since = service.clock.now() - ACK_WINDOW
        async with service.session_factory() as session:
            snap.inbox_by_status = await inbox_rows.count_by_status(session)
            snap.unacknowledged = await ops_rows.unacknowledged_count(session, OPEN_STATUSES)
            snap.ack_seconds = await ops_rows.acknowledged_since(session, since)

    async def exposition(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)

    # --- HTTP -----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)

    async def _healthz(self, request: web.Request) -> web.Response:
        body = await self.health()
        return web.json_response(body, status=200 if body["status"] == "ok" else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        payload = await self.exposition()
        response = web.Response(body=payload)
        # aiohttp refuses a charset inside content_type; set the header as Prometheus wants.
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response


class OpsServer:
    """/healthz and /metrics on their own listener (polling mode)."""

    def __init__(self, ops: Operations) -> None:
        self.ops = ops
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, listen: str) -> None:
        host, port = parse_listen(listen)
        app = web.Application()
        self.ops.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = bound_port(self._runner) or port
        log.info("operations endpoints listening host=%s port=%s", host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            with contextlib.suppress(Exception):
                await runner.cleanup()


def bound_port(runner: web.AppRunner) -> int | None:
    """The port actually bound (listen on port 0 picks a free one: tests)."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


__all__ = ["Operations", "OpsServer", "bound_port"]
