"""Verification that watches: `/incident verify --watch [30m] [name or promql]`.

The watch is a row (`metric_watch`): every PROMETHEUS_WATCH_STEP_SECONDS a replica claims it
(a conditional UPDATE on its due time and lease, as checks are) and asks Prometheus for the
expression over the window so far (`query_range`). A point means it fired: the war room is
told (once per time it fires again) and the window starts after it. When the whole window
has passed with no series, the verification is recorded, exactly as a typed
`/incident verify` would be (the timeline, the war room, the card), with the chart. It ends
with an answer after at most 24 h; resolving the incident does not stop it."""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import col, select

from bot.checklists.fix_verification import record_observed_verification
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.queries import get_incident
from bot.metrics.chart import Panel, draw_metrics
from bot.metrics.expr import MAX_EXPR, threshold_of
from bot.metrics.prometheus import Prometheus, PrometheusError, QueryRefused, configured
from bot.metrics.queries import metrics_of
from bot.slack.context import CommandContext
from bot.slack.durations import DurationError, humanize, parse_duration
from bot.slack.files import upload_file
from bot.slack.posting import post
from bot.slack.text import escape, unescape
from storage.models.incidents import Incident
from storage.models.metrics import MetricWatch
from storage.tables import table_of
from storage.types import utcnow

log = logging.getLogger(__name__)
WATCH = table_of(MetricWatch)
DEFAULT_WINDOW = 30 * 60
MAX_WINDOW = 12 * 3600
LONGEST = timedelta(hours=24)
LEASE = timedelta(seconds=120)


def _at(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%H:%M} UTC"


async def start_watch(ctx: CommandContext, incident: Incident, args: str) -> str:
    """WATCH_HOOKS (bot.checklists): `/incident verify --watch [window] [name or promql]`."""
    return await begin_watch(ctx.rt, incident, ctx.user_id, args)


async def watch_offered(rt: Runtime, incident: Incident) -> str | None:
    """WATCH_OFFERS (the resolve form): watching is offered for an incident with an
    expression."""
    if not configured(rt.settings):
        return None
    async with rt.db.session() as session:
        metrics = await metrics_of(session, incident.id or 0)
    return (
        f"Watch {metrics[0].name} for 30 min of quiet, then record the verification"
        if metrics
        else None
    )


async def watch_chosen(rt: Runtime, incident: Incident, user_id: str) -> str:
    """WATCH_STARTS (the resolve form): the incident's first expression, 30 minutes."""
    return await begin_watch(rt, incident, user_id, "30m")


async def begin_watch(rt: Runtime, incident: Incident, user_id: str, args: str) -> str:
    """Store the watch, due at once; the answer to the person."""
    if not configured(rt.settings):
        raise UserError("Watching needs a Prometheus: PROMETHEUS_URL is not set.")
    text = unescape(args).strip()
    window = DEFAULT_WINDOW
    first, _, rest = text.partition(" ")
    if first:
        try:
            window = parse_duration(first)
            text = rest.strip()
        except DurationError:
            pass
    if not 1 <= window <= MAX_WINDOW:
        raise UserError(f"Watch for between 1 s and {humanize(MAX_WINDOW)} of quiet.")
    async with rt.db.session() as session:
        metrics = await metrics_of(session, incident.id or 0)
    named = next((m for m in metrics if m.name == text.lower()), None) if text else None
    if named is None and re.fullmatch(r"m\d+", text):  # a name, surely, not a metric
        raise UserError(f"This incident has no expression named `{escape(text)}`.")
    if named is None and not text:
        named = metrics[0] if metrics else None
        if named is None:
            raise UserError(
                "This incident has no expression to watch: `/incident verify --watch 30m "
                "<promql>`, or add one with `/incident metric`."
            )
    name, expr = (named.name, named.expr) if named else ("watch", text)
    if len(expr) > MAX_EXPR:
        raise UserError(f"That expression is {len(expr)} characters; keep it to {MAX_EXPR}.")
    if named is None:
        try:
            async with Prometheus(rt.settings) as prom:
                await prom.instant(expr)
        except QueryRefused as exc:
            raise UserError(f"Prometheus refuses `{escape(expr)}`: {escape(str(exc))}") from None
        except PrometheusError:
            pass  # away: the watch goes on trying at each step
    now = utcnow()
    async with rt.db.session() as session:
        await session.exec(
            update(WATCH)
            .where(and_(WATCH.c.incident_id == incident.id, WATCH.c.status == "watching"))
            .values(status="stopped")
        )
        session.add(
            MetricWatch(
                incident_id=incident.id or 0,
                name=name,
                expr=expr,
                window_seconds=window,
                requested_by=user_id,
                started_at=now,
                quiet_since=now,
                ends_at=now + LONGEST,
                due_at=now,
            )
        )
    watcher = MetricWatcher.of(rt)
    if watcher is not None:
        watcher.wake()
    step = humanize(rt.settings.prometheus_watch_step_seconds)
    return (
        f"Watching `{escape(name)}` `{escape(expr)}`: once it has returned no series for "
        f"{humanize(window)}, I will record the verification (looking every {step}, for at "
        "most 24 h; a new `--watch` replaces this one)."
    )


class MetricWatcher(Worker):
    kind = "metric_watches"
    name = "metric watches"

    def interval_seconds(self) -> float | None:
        return float(self.rt.settings.prometheus_watch_step_seconds)

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            due = list(
                (
                    await session.exec(
                        select(MetricWatch)
                        .where(
                            col(MetricWatch.status) == "watching",
                            col(MetricWatch.due_at) <= now,
                            or_(
                                col(MetricWatch.lease_until).is_(None),
                                col(MetricWatch.lease_until) < now,
                            ),
                        )
                        .order_by(col(MetricWatch.due_at))
                        .limit(20)
                    )
                ).all()
            )
        for watch in due:
            if self.stopping:
                return
            if await self._claim(watch, now):
                await self._look(watch)

    async def _claim(self, watch: MetricWatch, now: datetime) -> bool:
        async with self.rt.db.session() as session:
            result = await session.exec(
                update(WATCH)
                .where(
                    and_(
                        WATCH.c.id == watch.id,
                        WATCH.c.status == "watching",
                        WATCH.c.due_at == watch.due_at,
                        or_(WATCH.c.lease_until.is_(None), WATCH.c.lease_until < now),
                    )
                )
                .values(claimed_by=self.instance, lease_until=now + LEASE)
            )
        return bool(result.rowcount)

    async def _save(self, watch: MetricWatch, **values: object) -> None:
        async with self.rt.db.session() as session:
            await session.exec(
                update(WATCH)
                .where(and_(WATCH.c.id == watch.id, WATCH.c.claimed_by == self.instance))
                .values(lease_until=None, **values)
            )

    async def _look(self, watch: MetricWatch) -> None:
        rt = self.rt
        step = float(rt.settings.prometheus_watch_step_seconds)
        now = self.clock()
        async with rt.db.session() as session:
            incident = await get_incident(session, watch.incident_id)
        if incident is None:
            await self._save(watch, status="stopped")
            return
        start = min(watch.quiet_since, now)
        try:
            async with Prometheus(rt.settings) as prom:
                series = await prom.range(watch.expr, start, now, step)
        except PrometheusError as exc:
            log.warning("watch %s: %s", watch.id, exc)
            if now >= watch.ends_at:
                await self._ended(watch, incident, f"Prometheus could not be asked ({exc})")
                return
            if watch.away_since is None:  # said once, not at every step
                await self._tell_away(watch, incident, str(exc))
            await self._save(
                watch, due_at=now + timedelta(seconds=step), away_since=watch.away_since or now
            )
            return
        if watch.away_since is not None:
            await self._tell_back(watch, incident, watch.away_since)
        fired = [t for s in series for t, v in s.points if not math.isnan(v)]
        quiet_since, fired_at = watch.quiet_since, watch.fired_at
        if fired:
            last = datetime.fromtimestamp(max(fired), UTC)
            # Said once each time it starts firing: the first look, or after a quiet step
            # (still firing since the last look is the same time, not said again).
            gap = min(fired) - fired_at.timestamp() if fired_at is not None else math.inf
            if gap > 1.5 * step:
                await self._tell_fired(watch, incident, last, len(series))
            fired_at, quiet_since = last, last + timedelta(seconds=step)
        if not fired and (now - quiet_since).total_seconds() >= watch.window_seconds:
            await self._verified(watch, incident, quiet_since, now)
            return
        if now >= watch.ends_at:
            await self._ended(watch, incident, f"never quiet for {humanize(watch.window_seconds)}")
            return
        await self._save(
            watch,
            due_at=now + timedelta(seconds=step),
            quiet_since=quiet_since,
            fired_at=fired_at,
            away_since=None,
        )

    async def _tell_away(self, watch: MetricWatch, incident: Incident, problem: str) -> None:
        text = (
            f":warning: The watch of `{escape(watch.name)}` cannot ask Prometheus "
            f"({escape(problem)}): it keeps trying at each step, and I will say when it answers."
        )
        await post(self.rt, incident.channel_id or "", text)

    async def _tell_back(self, watch: MetricWatch, incident: Incident, since: datetime) -> None:
        text = (
            f":white_check_mark: Prometheus answers again (away since {since:%H:%M:%S} UTC): the "
            f"watch of `{escape(watch.name)}` goes on, judging the time away by what Prometheus "
            "recorded meanwhile."
        )
        await post(self.rt, incident.channel_id or "", text)

    async def _tell_fired(
        self, watch: MetricWatch, incident: Incident, at: datetime, count: int
    ) -> None:
        many = f"{count} series" if count != 1 else "1 series"
        text = (
            f":rotating_light: `{escape(watch.name)}` `{escape(watch.expr)}` fired at "
            f"{at:%H:%M:%S} UTC ({many}): the {humanize(watch.window_seconds)} of quiet for "
            "the verification start again when it stops."
        )
        await post(self.rt, incident.channel_id or "", text)

    async def _verified(
        self, watch: MetricWatch, incident: Incident, since: datetime, now: datetime
    ) -> None:
        text = (
            f"verified by Prometheus: `{watch.expr}` quiet for {humanize(watch.window_seconds)} "
            f"({since:%H:%M} to {now:%H:%M} UTC)"
        )
        await self._save(watch, status="verified", quiet_since=since)
        await record_observed_verification(self.rt, incident, text)
        if incident.channel_id:
            await self._chart(watch, incident, since, now)

    async def _ended(self, watch: MetricWatch, incident: Incident, why: str) -> None:
        await self._save(watch, status="expired")
        text = (
            f":hourglass: The watch of `{escape(watch.name)}` ended after 24 h, "
            f"{escape(why)}: not verified. `/incident verify` records it by hand."
        )
        await post(self.rt, incident.channel_id or "", text)

    async def _chart(
        self, watch: MetricWatch, incident: Incident, since: datetime, now: datetime
    ) -> None:
        threshold = threshold_of(watch.expr)
        start = min(since, now - timedelta(minutes=5))
        try:
            async with Prometheus(self.rt.settings) as prom:
                step = max(1.0, (now - start).total_seconds() / 240)
                series = await prom.range(
                    threshold.left if threshold else watch.expr, start, now, step
                )
            panel = Panel(
                watch.name, threshold.left if threshold else watch.expr, series, threshold
            )
            title = f"Incident #{incident.id}: {watch.name} while watched, to {now:%H:%M} UTC"
            png = await draw_metrics([panel], title, start, now)
            await upload_file(
                self.rt,
                incident.channel_id or "",
                filename=f"incident-{incident.id}-verified-{now:%H%M%S}.png",
                title=title,
                content=png,
                comment=None,
            )
        except Exception as exc:  # the verification is recorded; the chart is an extra
            log.warning("watch chart for incident %s failed: %s", incident.id, type(exc).__name__)


def install_watches(rt: Runtime) -> None:
    if not configured(rt.settings):
        return
    watcher = MetricWatcher(rt)
    rt.startup_hooks.append(watcher.start)
    rt.shutdown_hooks.append(watcher.stop)
