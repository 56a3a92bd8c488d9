"""One process running the emulator, the real bot polling it, and the demo web page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from bot.app import Service, create_service, run_polling
from bot.config import Settings
from playground.demo.seed import COORDINATOR, PERSONAS, seed
from playground.demo.web import DemoWeb
from playground.emulator import BotAPIEmulator, SimulatedUser

log = logging.getLogger(__name__)
DEFAULT_DATA_DIR = Path("data/demo")


class PortInUse(Exception):
    """The page's port is taken (usually by another demo still running)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"{host}:{port}")
        self.host = host
        self.port = port


class Demo:
    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 8080, data_dir: Path = DEFAULT_DATA_DIR
    ) -> None:
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.emulator = BotAPIEmulator(first_name="Lapor Aman (demo)", username="lapor_aman_bot")
        self.users: dict[str, SimulatedUser] = {}
        self.web = DemoWeb(self.emulator, self.users)
        self._runner: web.AppRunner | None = None
        self._service: Service | None = None
        self._polling: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "demo.sqlite3"

    async def start(self) -> None:
        # The page's port first: when it is taken nothing else has started yet, so the caller
        # can say so and exit without tearing down a half-started bot.
        self._runner = web.AppRunner(self.web.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise PortInUse(self.host, self.port) from error
        self.port = self._runner.addresses[0][1]
        try:
            await self._start_bot()
        except BaseException:
            await self.stop()
            raise

    async def _start_bot(self) -> None:
        await self.emulator.start("127.0.0.1", 0)
        for persona in PERSONAS:
            self.users[persona.key] = self.emulator.user(
                persona.user_id,
                persona.first_name,
                persona.last_name,
                language_code=persona.language,
                phone_number=persona.phone,
            )
        # A fresh database each run: the emulator's chats live in memory only, so an old
        # database would point at messages and chats that no longer exist.
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        self._service = await create_service(self.settings())
        async with self._service.session_factory() as session, session.begin():
            await seed(session)
        self._polling = asyncio.create_task(run_polling(self._service, handle_signals=False))
        for _ in range(500):
            if self.emulator.bot.active_poll is not None:
                return
            if self._polling.done():
                self._polling.result()
            await asyncio.sleep(0.02)
        raise RuntimeError("the bot never polled the emulator")

    def settings(self) -> Settings:
        return Settings(
            # Never the developer's .env: its BOT_TOKEN or DATABASE_URL must not leak in here.
            _env_file=None,
            bot_token=SecretStr(self.emulator.token),
            telegram_api_url=self.emulator.base_url,
            database_url=f"sqlite+aiosqlite:///{self.database_path}",
            coordinator_ids=[COORDINATOR.user_id],
            # No DATA_KEY: demo mode keeps a throwaway key next to the database.
            data_key=None,
            demo_mode=True,
            log_level="WARNING",
            # Every step shows at once, whatever the hour: in QUIET_HOURS the real service holds
            # a reporter's notices until morning, which a demo at night would only hide.
            quiet_hours=None,
        )

    async def stop(self) -> None:
        # The page first, so no click reaches a bot that is shutting down; open long polls of
        # the page return at once.
        self.web.closing()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._service is not None:
            if self._polling is not None:
                self._service.stop_receiving()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(self._polling, timeout=10)
                self._polling = None
            await self._service.close()
            self._service = None
        await self.emulator.stop()
