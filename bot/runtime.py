"""What a running bot holds: settings, database, Slack client, scheduler, start-up hooks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from storage import Database

log = logging.getLogger(__name__)

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: AsyncWebClient
    scheduler: AsyncIOScheduler = field(default_factory=lambda: AsyncIOScheduler(timezone="UTC"))
    startup_hooks: list[Hook] = field(default_factory=list)
    shutdown_hooks: list[Hook] = field(default_factory=list)
    bot_user_id: str | None = None

    async def start(self) -> None:
        await self.db.migrate()
        self.scheduler.start()
        for hook in self.startup_hooks:
            try:
                await hook(self)
            except Exception:
                log.exception("start-up hook %s failed", getattr(hook, "__name__", hook))

    async def stop(self) -> None:
        for hook in self.shutdown_hooks:
            try:
                await hook(self)
            except Exception:
                log.exception("shutdown hook failed")
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.db.dispose()
