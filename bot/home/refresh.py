"""Keeping App Home current between openings: every minute, each view that changed (an incident
declared, resolved, reassigned; an action item done) is republished, at most once a minute per
person across replicas (claimed in home_view), for people who opened it in the last week."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.home.queries import claim_republish, home_viewers, published
from bot.home.view import build_home, digest
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)

JOB_ID = "home-refresh"
REFRESH_SECONDS = 60  # "at most once a minute"
MIN_GAP = timedelta(seconds=REFRESH_SECONDS)
VIEWERS_FOR = timedelta(days=7)


class HomeRefresher(Worker):
    kind = JOB_ID
    name = "App Home refresh"
    first_run_after = MIN_GAP
    run_late = False  # a missed refresh is not worth catching up: the next is a minute away

    def interval_seconds(self) -> float:
        return REFRESH_SECONDS

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            viewers = await home_viewers(session, now - VIEWERS_FOR)
        for viewer in viewers:
            if self.stopping:
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
