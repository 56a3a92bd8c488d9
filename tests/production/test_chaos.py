"""Instances killed the way failures happen, and nobody's tap is lost.

Webhook: two instances (`python -m bot run`) on one PostgreSQL database behind a round-robin
proxy that behaves like nginx's `proxy_next_upstream` (tests/production/proxy.py). Residents
file reports concurrently, through every step of the conversation, while one instance is
SIGKILLed at three moments and started again:

1. right after it acknowledged a resident's ✅ Send (its 200 is on the way to Telegram);
2. in the middle of the handler of another resident's ✅ Send (the test holds a lock on the
   reports table, so the handler's transaction waits mid-way);
3. in the middle of sending an alert: Telegram carried the message out, its answer is held back
   (the emulator's hold), the instance dies not knowing.

Every resident gets an answer to every tap and message, some after the lease, and a tracking
code; every report reaches its officer; each alert arrives once. Twice is allowed only for a
message the killed instance had claimed for sending at the moment it died: the test reads those
rows from the outbox right after each kill, so it tells them apart from a doubled send.

Polling: one instance killed mid-burst and started again, the same promises.

The leases are 8 s here (30 s by default): the waits they cause are real, only shorter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from bot.app import Service, create_service
from playground.emulator import BotAPIEmulator, SimulatedUser
from storage.crypto import Cipher
from storage.db import is_sqlite
from storage.identity import chat_key
from storage.models import InboxUpdate, OutboxMessage, Report
from storage.repositories.users import UserRepo
from tests.cases.staffing import add_officer
from tests.conversations.resident import Resident
from tests.fixtures.bot import make_settings
from tests.fixtures.timeline import until
from tests.production.conftest import PATH, SECRET, free_port
from tests.production.processes import bot_env, kill, start_process, terminate
from tests.production.proxy import RoundRobinProxy

pytestmark = pytest.mark.slow

LEASE = "8s"
# Long enough for a lease to run out and the survivor to take over, with room to spare.
PATIENCE = 60.0
CODE = re.compile(r"LA-[A-Z0-9]{4}-[A-Z0-9]{4}")
# Each kelurahan its officer, so an alert's copies are counted in one chat.
PLACES = [
    ("Pahandut", "Langkai"),
    ("Pahandut", "Panarung"),
    ("Jekan Raya", "Menteng"),
    ("Jekan Raya", "Palangka"),
    ("Sabangau", "Kalampangan"),
    ("Sabangau", "Sabaru"),
]


@dataclass
class Instance:
    """One `python -m bot run` process, started again on the same port after a kill."""

    env: dict[str, str]
    cwd: Path
    process: asyncio.subprocess.Process | None = None
    killed: list[int] = field(default_factory=list)

    async def start(self) -> None:
        self.process = await start_process(self.env, self.cwd)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill_now(self) -> int:
        """SIGKILL at once, from inside whatever the test is doing; returns the pid."""
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)
        return pid

    async def reap(self) -> None:
        if self.process is not None:
            await kill(self.process)

    async def stop(self) -> str:
        assert self.process is not None
        code, log = await terminate(self.process)
        assert code == 0, log
        return log


class InFlight:
    """What a killed instance had claimed for sending when it died: its messages may arrive
    twice (Telegram took them, the record of it died with the process)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.codes: set[str] = set()

    async def note(self, pid: int) -> set[str]:
        async with self.service.session_factory() as session:
            rows = await session.execute(
                select(Report.code)
                .join(OutboxMessage, OutboxMessage.report_id == Report.id)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.claimed_by.like(f"%:{pid}:%"),
                    OutboxMessage.kind == "alert",
                )
            )
            codes = {str(code) for code in rows.scalars()}
        self.codes |= codes
        return codes


async def staff(
    service: Service, emulator: BotAPIEmulator, places: list[tuple[str, str]]
) -> dict[str, int]:
    """An officer on duty in each kelurahan; their /start goes through the running bot."""
    officers = {}
    for index, (_, kelurahan) in enumerate(places):
        user_id = 640001 + index
        await emulator.user(user_id=user_id, first_name=f"Petugas{index}").send_command("/start")

        async def seen(user_id: int = user_id) -> bool:
            # A process just started (or started again) on a busy machine takes its time.
            async with service.session_factory() as session:
                return await UserRepo(session).by_telegram_id(user_id) is not None

        await until(seen, f"officer {user_id}'s /start", within=PATIENCE)
        await add_officer(service, user_id, kelurahan, name=f"Petugas {index}")
        officers[kelurahan] = user_id
    return officers


async def file_report(resident: Resident, place: tuple[str, str], before_send: Any = None) -> str:
    """Every step a person takes, each answer awaited; `before_send` runs just before ✅ Send."""
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description(kecamatan=place[0], kelurahan=place[1])
    await resident.describe(f"Kejadian di {place[1]}, mohon dibantu.")
    await resident.finish_anonymously()
    if before_send is not None:
        await before_send()
    return await resident.send()


async def delivered(
    service: Service, emulator: BotAPIEmulator, officers: dict[str, int], codes: list[str]
) -> bool:
    """Every alert seen by its officer and none still waiting to go: a message whose sender
    died goes again only once its lease runs out, after the first copy was seen."""
    seen = alerts_seen(emulator, officers)
    if not all(seen[code] for code in codes):
        return False
    async with service.session_factory() as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "alert", OutboxMessage.status == "pending")
        )
    return not waiting


def alerts_seen(emulator: BotAPIEmulator, officers: dict[str, int]) -> Counter[str]:
    chats = set(officers.values())
    seen: Counter[str] = Counter()
    for call in emulator.calls_of("sendMessage"):
        if call.ok and int(call.params.get("chat_id", 0)) in chats:
            seen.update(set(CODE.findall(str(call.params.get("text", "")))))
    return seen


def assert_each_alert_once(seen: Counter[str], codes: list[str], in_flight: set[str]) -> None:
    lost = [code for code in codes if seen[code] == 0]
    assert not lost, f"alerts never arrived: {lost}"
    doubled = [code for code in codes if seen[code] > 1 and code not in in_flight]
    assert not doubled, f"alerts sent twice though no kill fell during their send: {doubled}"
    beyond = [code for code in codes if seen[code] > 2]
    assert not beyond, f"more than one extra copy: {beyond}"


async def inbox_statuses(service: Service) -> Counter[str]:
    async with service.session_factory() as session:
        return Counter((await session.scalars(select(InboxUpdate.status))).all())


async def unfinished(service: Service) -> int:
    async with service.session_factory() as session:
        updates = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending")
        )
        messages = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
    return int(updates or 0) + int(messages or 0)


def resident(emulator: BotAPIEmulator, user_id: int) -> Resident:
    user = emulator.user(user_id=user_id, first_name=f"Warga{user_id}")
    return Resident(user, patience=PATIENCE)


async def test_webhook_instances_killed_at_three_moments_lose_nothing(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    if is_sqlite(database_url):
        pytest.skip("two instances need PostgreSQL")
    key = Cipher.generate_key()
    # The test's own service reads the database and adds officers; it never starts workers.
    service = await create_service(make_settings(emulator, database_url, data_key=SecretStr(key)))
    ports = [free_port(), free_port()]
    proxy = RoundRobinProxy(free_port(), [f"http://127.0.0.1:{port}" for port in ports], PATH)
    await proxy.start()
    instances = [
        Instance(
            bot_env(
                emulator,
                database_url,
                key,
                WEBHOOK_URL=proxy.url,
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_LISTEN=f"127.0.0.1:{port}",
                INBOX_LEASE=LEASE,
                OUTBOX_LEASE=LEASE,
                LOG_LEVEL="WARNING",
            ),
            tmp_path,
        )
        for port in ports
    ]
    in_flight = InFlight(service)
    restarts: list[asyncio.Task[None]] = []

    probes = itertools.count(790_001)
    newcomers: list[SimulatedUser] = []

    async def while_down() -> None:
        """Updates keep coming while an instance is down: those the proxy gives it first, it
        passes on to the other. The wave's own may all be answered by then, so newcomers'
        /start come until one was passed on (each goes first to either upstream)."""
        before = proxy.passed_on

        async def passed_on() -> bool:
            return proxy.passed_on > before

        for _ in range(20):
            newcomer = emulator.user(user_id=next(probes))
            newcomers.append(newcomer)
            await newcomer.send_command("/start")
            with contextlib.suppress(AssertionError):
                await until(passed_on, "a request passed on", within=1.0)
                return

    async def kill_and_restart(instance: Instance) -> set[str]:
        """Returns the alerts the instance was sending when it died."""
        pid = instance.kill_now()
        sending = await in_flight.note(pid)

        async def again() -> None:
            await instance.reap()
            await while_down()
            await asyncio.sleep(1)
            await instance.start()

        restarts.append(asyncio.create_task(again()))
        return sending

    try:
        for instance in instances:
            await instance.start()

        async def registered() -> bool:
            return emulator.bot.webhook.url == proxy.url

        await until(registered, "the webhook", within=PATIENCE)
        officers = await staff(service, emulator, PLACES)
        codes: list[str] = []

        # --- 1. killed right after it acknowledged a resident's ✅ Send --------------------
        first = resident(emulator, 710001)
        acknowledged: list[bool] = []

        async def arm_after_ack() -> None:
            async def on_answer(index: int, update: dict[str, Any], status: int) -> None:
                press = update.get("callback_query") or {}
                if status == 200 and press.get("from", {}).get("id") == first.user.id:
                    proxy.on_answer = None
                    await kill_and_restart(instances[index])
                    acknowledged.append(True)

            proxy.on_answer = on_answer

        codes += await _wave(emulator, first, arm_after_ack, 710100)
        assert acknowledged, "the kill after the acknowledgement never happened"

        # --- 2. killed in the middle of a ✅ Send's handler --------------------------------
        second = resident(emulator, 720001)
        engine = service.engine
        lock = await engine.connect()
        held = await lock.begin()
        handler_killed: list[bool] = []

        async def block_and_kill() -> None:
            await lock.execute(text("LOCK TABLE reports IN SHARE MODE"))

            async def kill_mid_handler() -> None:
                person = chat_key(second.user.id)

                async def blocked() -> bool:
                    async with service.session_factory() as session:
                        waiting = await session.scalar(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type"
                                " = 'Lock' AND query ILIKE 'INSERT INTO reports%'"
                            )
                        )
                        claimer = await session.scalar(
                            select(InboxUpdate.claimed_by).where(
                                InboxUpdate.person == person, InboxUpdate.status == "pending"
                            )
                        )
                    return bool(waiting) and claimer is not None

                await until(blocked, "the ✅ Send handler to wait on the lock", within=PATIENCE)
                async with service.session_factory() as session:
                    claimer = await session.scalar(
                        select(InboxUpdate.claimed_by).where(
                            InboxUpdate.person == person, InboxUpdate.status == "pending"
                        )
                    )
                assert claimer is not None
                pid = int(claimer.split(":")[-2])
                [instance] = [each for each in instances if each.pid == pid]
                await kill_and_restart(instance)
                handler_killed.append(True)
                await held.rollback()
                await lock.close()

            restarts.append(asyncio.create_task(kill_mid_handler()))

        codes += await _wave(emulator, second, block_and_kill, 720100)
        assert handler_killed, "the kill in the middle of a handler never happened"

        # --- 3. killed in the middle of sending an alert ---------------------------------
        third = resident(emulator, 730001)
        place = PLACES[2]
        hold = emulator.hold_answers("sendMessage", chat_id=officers[place[1]])
        sending_killed: list[str] = []

        async def kill_mid_send() -> None:
            await asyncio.wait_for(hold.reached.wait(), PATIENCE)

            async with service.session_factory() as session:
                claimer = await session.scalar(
                    select(OutboxMessage.claimed_by).where(
                        OutboxMessage.kind == "alert",
                        OutboxMessage.status == "pending",
                        OutboxMessage.recipient_id == officers[place[1]],
                    )
                )
            assert claimer is not None, "the alert being sent is claimed by its sender"
            pid = int(claimer.split(":")[-2])
            [instance] = [each for each in instances if each.pid == pid]
            sending_killed.extend(await kill_and_restart(instance))
            hold.release()

        async def arm_mid_send() -> None:
            restarts.append(asyncio.create_task(kill_mid_send()))

        codes += await _wave(emulator, third, arm_mid_send, 730100, place=place)
        assert sending_killed, "the kill in the middle of an alert's send never happened"

        await asyncio.gather(*restarts)

        await until(
            lambda: delivered(service, emulator, officers, codes), "every alert", within=PATIENCE
        )
        await asyncio.sleep(1)  # an extra copy would come now
        assert len(set(codes)) == len(codes) == 12
        assert_each_alert_once(alerts_seen(emulator, officers), codes, in_flight.codes)
        # The alert whose answer was held: the survivor sent it again after the lease.
        assert alerts_seen(emulator, officers)[sending_killed[0]] == 2
        assert proxy.passed_on > 0, "the proxy passed requests on to the surviving instance"
        for newcomer in newcomers:  # the survivor answered them while the other was down
            await newcomer.wait_for("Selamat datang", timeout=PATIENCE)
        assert set(await inbox_statuses(service)) == {"done"}
    finally:
        for instance in instances:
            if instance.process is not None and instance.process.returncode is None:
                await instance.stop()
        await proxy.close()
        await service.close()


async def _wave(
    emulator: BotAPIEmulator,
    main: Resident,
    before_send: Callable[[], Awaitable[None]],
    others_from: int,
    *,
    place: tuple[str, str] = PLACES[0],
) -> list[str]:
    """The resident whose ✅ Send meets the kill, and three others filing at the same time."""
    others = [resident(emulator, others_from + n) for n in range(3)]
    return list(
        await asyncio.gather(
            file_report(main, place, before_send),
            *(file_report(other, PLACES[(n + 3) % len(PLACES)]) for n, other in enumerate(others)),
        )
    )


async def test_a_polling_instance_killed_mid_burst_loses_nothing(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    key = Cipher.generate_key()
    service = await create_service(make_settings(emulator, database_url, data_key=SecretStr(key)))
    instance = Instance(
        bot_env(emulator, database_url, key, INBOX_LEASE=LEASE, OUTBOX_LEASE=LEASE), tmp_path
    )
    in_flight = InFlight(service)
    try:
        await instance.start()
        officers = await staff(service, emulator, PLACES)
        before = len(emulator.delivered_updates)
        residents = [resident(emulator, 750001 + n) for n in range(6)]
        filing = asyncio.gather(
            *(file_report(each, PLACES[n % len(PLACES)]) for n, each in enumerate(residents))
        )

        async def mid_burst() -> bool:
            # Well into the residents' taps, with batches confirmed and others on the way, and
            # some of it unfinished right now: between two taps the bot may have done it all,
            # and a kill then would leave nothing behind to lose.
            if len(emulator.delivered_updates) < before + 40:
                return False
            return await unfinished(service) > 0

        await until(mid_burst, "the residents' burst", within=PATIENCE)
        await in_flight.note(instance.kill_now())
        # The kill left work behind: updates stored and not handled, or replies not yet sent.
        assert await unfinished(service) > 0
        await instance.reap()
        await asyncio.sleep(1)
        await instance.start()
        codes = list(await filing)

        await until(
            lambda: delivered(service, emulator, officers, codes), "every alert", within=PATIENCE
        )
        await asyncio.sleep(1)
        assert len(set(codes)) == len(codes) == len(residents)
        assert_each_alert_once(alerts_seen(emulator, officers), codes, in_flight.codes)
        assert set(await inbox_statuses(service)) == {"done"}
    finally:
        if instance.process is not None and instance.process.returncode is None:
            await instance.stop()
        await service.close()
