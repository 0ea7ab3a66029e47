"""Keeping App Home current between openings: every minute, each view that changed (an incident
declared, resolved, reassigned; an action item done) is republished, at most once a minute per
person across replicas (claimed in home_view), for people who opened it in the last week."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError

from bot.core.runtime import Runtime
from bot.postmortem.followthrough.home import build_home, digest
from bot.postmortem.followthrough.home_queries import claim_republish, home_viewers, published
from bot.slack.client import slack_error_text
from storage import StorageUnavailable
from storage.types import utcnow

log = logging.getLogger(__name__)

JOB_ID = "home-refresh"
REFRESH_SECONDS = 60  # "at most once a minute"
MIN_GAP = timedelta(seconds=REFRESH_SECONDS)
VIEWERS_FOR = timedelta(days=7)

_refreshers: dict[int, HomeRefresher] = {}


def refresher_of(rt: Runtime) -> HomeRefresher | None:
    return _refreshers.get(id(rt))


class HomeRefresher:
    def __init__(self, rt: Runtime, clock: Callable[[], datetime] = utcnow) -> None:
        self.rt = rt
        self.clock = clock
        self.checks = 0  # completed checks (tests wait on it instead of sleeping)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def start(self, rt: Runtime) -> None:
        _refreshers[id(rt)] = self
        rt.scheduler.add_job(
            self.check,
            "interval",
            seconds=REFRESH_SECONDS,
            id=JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + MIN_GAP,
        )

    async def stop(self, rt: Runtime) -> None:
        self._stopping = True
        _refreshers.pop(id(rt), None)
        with contextlib.suppress(JobLookupError):
            rt.scheduler.remove_job(JOB_ID)
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except TimeoutError:
                self._task.cancel()

    async def check(self) -> None:
        if self._stopping:
            return
        self._task = asyncio.current_task()
        try:
            async with self.rt.in_flight():
                await self._refresh(self.clock())
        except StorageUnavailable:
            pass  # the next minute tries again
        except Exception:
            log.exception("App Home refresh failed")
        finally:
            self.checks += 1

    async def _refresh(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            viewers = await home_viewers(session, now - VIEWERS_FOR)
        for viewer in viewers:
            if self._stopping:
                return
            if viewer.published_at is not None and now - viewer.published_at < MIN_GAP:
                continue
            view = await build_home(self.rt, viewer.user_id, now)
            new = digest(view)
            if new == viewer.digest:
                continue
            async with self.rt.db.session() as session:
                if not await claim_republish(session, viewer.user_id, now, MIN_GAP):
                    continue  # another replica has it, or it was published in the last minute
            try:
                await self.rt.client.views_publish(user_id=viewer.user_id, view=view)
            except Exception as exc:
                log.warning("could not republish App Home: %s", slack_error_text(exc))
                continue
            async with self.rt.db.session() as session:
                await published(session, viewer.user_id, new)


def install_home_refresh(rt: Runtime) -> None:
    refresher = HomeRefresher(rt)
    rt.startup_hooks.append(refresher.start)
    rt.shutdown_hooks.append(refresher.stop)
