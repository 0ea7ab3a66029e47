"""What a running bot holds: settings, configuration file, database, Slack client, scheduler,
start-up hooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config_file import Config
from bot.core.errors import RefusedSetting
from bot.core.instance import new_instance_id
from bot.core.priority import background_context
from bot.core.settings import Settings
from storage import Database

log = logging.getLogger(__name__)

Hook = Callable[["Runtime"], Awaitable[None]]

# Each step of stopping after the grace period (cancelled tasks, each shutdown hook, closing the
# database) gets at most this long, so a stop always ends. Hooks bound their own waits below it.
STOP_STEP_SECONDS = 10.0


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: AsyncWebClient
    config: Config = field(default_factory=Config)  # CONFIG_FILE, each domain's section
    scheduler: AsyncIOScheduler = field(default_factory=lambda: AsyncIOScheduler(timezone="UTC"))
    startup_hooks: list[Hook] = field(default_factory=list)
    shutdown_hooks: list[Hook] = field(default_factory=list)
    bot_user_id: str | None = None
    bot_id: str | None = None
    team_id: str | None = None
    team_url: str | None = None
    _in_flight: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)  # background work, see spawn()
    socket_connected: bool | None = None  # None in HTTP mode
    failure: RefusedSetting | None = None  # set by fail(): the process must stop
    _failed: asyncio.Event = field(default_factory=asyncio.Event)
    # The name this bot writes into every claim it takes (bot.core.instance), one per process.
    instance: str = field(default_factory=new_instance_id)

    def fail(self, error: RefusedSetting) -> None:
        """Ask the process to stop: something found after start-up will not fix itself."""
        if self.failure is None:
            self.failure = error
        self._failed.set()

    async def wait_failed(self) -> RefusedSetting:
        await self._failed.wait()
        assert self.failure is not None
        return self.failure

    def slack_ready(self) -> bool:
        """The bot knows who it is in Slack and (Socket Mode) is connected."""
        return self.bot_user_id is not None and self.socket_connected is not False

    @asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Mark work that a graceful stop must let finish (a command, an event, a prompt)."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no work is in flight; False if some was still running at the timeout."""
        if self._in_flight == 0:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `work` in the background; failures are logged, and stop() cancels what is left.
        Its Slack calls are background work (bot/core/priority.py), even when started for a
        person."""
        task = asyncio.get_running_loop().create_task(work, name=name, context=background_context())
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def start(self) -> None:
        await self.db.migrate()
        self.scheduler.start()
        for hook in self.startup_hooks:
            try:
                await hook(self)
            except RefusedSetting:
                raise
            except Exception:
                log.exception("start-up hook %s failed", getattr(hook, "__name__", hook))

    async def stop(self, grace_seconds: float = 20) -> None:
        """Stop scheduling new work, let work in flight finish, then close the database."""
        if self.scheduler.running:
            self.scheduler.pause()
        if not await self.wait_idle(grace_seconds):
            log.warning("stopping with %d task(s) still in flight", self._in_flight)
        for task in list(self.tasks):  # background work (backfill) is redone at next start
            task.cancel()
        if self.tasks:
            # Bounded: a task that ignores its cancellation must not keep the process alive.
            _, stuck = await asyncio.wait(list(self.tasks), timeout=STOP_STEP_SECONDS)
            if stuck:
                names = ", ".join(sorted(t.get_name() for t in stuck))
                log.warning("stopping without %d task(s) that did not end: %s", len(stuck), names)
        for hook in self.shutdown_hooks:
            try:
                async with asyncio.timeout(STOP_STEP_SECONDS):
                    await hook(self)
            except Exception:
                log.exception("shutdown hook failed")
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        try:
            async with asyncio.timeout(STOP_STEP_SECONDS):
                await self.db.dispose()
        except TimeoutError:
            log.warning("the database connections did not close within %ss", STOP_STEP_SECONDS)
