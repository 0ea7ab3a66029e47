"""The checks of the incidents' expressions: a worker (the one base, bot/core/worker.py) takes
each due check from the database (claimed, so two replicas ask once), asks Prometheus, tells
the war room (the values, then the chart), and refreshes the card. It runs beside the declare
and the reminders, never in their way: the card is posted first and shows "asking
Prometheus…" until the answer is in."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.queries import get_incident
from bot.metrics.chart import draw_metrics
from bot.metrics.prometheus import configured
from bot.metrics.queries import Claimed, claim_check, due_checks, finish_check, metrics_of
from bot.metrics.report import CHART_SPAN, Check, card_line, check_blocks, panels, run_check
from bot.response.card import refresh_card_only
from bot.slack.client import slack_error_text
from bot.slack.files import upload_file
from bot.slack.posting import post

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # the poll, for checks asked on another replica
SOON_SECONDS = 0.1  # a check waiting for its war room's card: looked at again this soon
LEASE = timedelta(seconds=120)  # longer than a check can take (queries time out, then Slack)


class MetricChecker(Worker):
    kind = "metric_checks"
    name = "metric checks"

    def interval_seconds(self) -> float | None:
        return POLL_SECONDS

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            due, waiting = await due_checks(session, now)
        if waiting:  # a war room being opened: its first check as soon as its card is posted
            soon = now + timedelta(seconds=SOON_SECONDS)
            self.at(soon, "soon", self.wake)
        for check in due:
            if self.stopping:
                return
            async with self.rt.db.session() as session:
                claimed = await claim_check(session, check, self.instance, now, LEASE)
            if claimed is not None:
                await self._check(claimed)

    async def _check(self, claimed: Claimed) -> None:
        rt = self.rt
        async with rt.db.session() as session:
            incident = await get_incident(session, claimed.incident_id)
            metrics = await metrics_of(session, claimed.incident_id)
        if incident is None or not incident.channel_id or not metrics:
            async with rt.db.session() as session:
                await finish_check(session, claimed, self.instance, None, False)
            return
        check = await run_check(rt.settings, metrics, self._clock())
        # Said once while Prometheus stays away; asked for by a person, always.
        failed_before = claimed.previous_failed and claimed.why != "asked"
        message = check_blocks(check, failed_before=failed_before)
        async with rt.db.session() as session:
            await finish_check(session, claimed, self.instance, card_line(check), check.failed)
            incident = await get_incident(session, claimed.incident_id) or incident
        await refresh_card_only(rt, incident)  # the card's line: read back from the check
        if message is not None:
            text, blocks = message
            await post(rt, incident.channel_id or "", text, blocks)
        if not check.failed:
            await self._chart(check, incident.channel_id or "", incident.id or 0)

    def _clock(self) -> datetime:
        return self.clock()

    async def _chart(self, check: Check, channel_id: str, incident_id: int) -> None:
        drawn = panels(check)
        if not drawn:
            return
        title = f"Incident #{incident_id}: the last hour, to {check.at:%H:%M} UTC"
        try:
            png = await draw_metrics(drawn, title, check.at - CHART_SPAN, check.at)
            await upload_file(
                self.rt,
                channel_id,
                filename=f"incident-{incident_id}-metric-{check.at:%H%M%S}.png",
                title=title,
                content=png,
                comment=None,
            )
        except Exception as exc:
            log.warning("metric chart for incident %s failed: %s", incident_id, type(exc).__name__)
            await post(
                self.rt,
                channel_id,
                f":warning: I could not put the metric chart here ({slack_error_text(exc)}).",
            )


def checker_of(rt: Runtime) -> MetricChecker | None:
    return MetricChecker.of(rt)


def install_metrics(rt: Runtime) -> None:
    if not configured(rt.settings):
        return
    checker = MetricChecker(rt)
    rt.startup_hooks.append(checker.start)
    rt.shutdown_hooks.append(checker.stop)
