"""`/incident stats [7d|30d|90d|365d|all] [tag] [drills]`: the figures privately, and the chart
as a PNG in a direct message to whoever asked (ephemeral messages cannot carry files)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.runtime import Runtime
from bot.learning.charts import draw
from bot.learning.figures import minutes, percent
from bot.learning.membership import MembershipCheck
from bot.learning.stats import (
    Durations,
    Stats,
    compute_stats,
    parse_stats_args,
    private_incidents,
    utc_now,
)
from bot.learning.stats_chart import draw_stats_chart, stats_title
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.files import upload_file
from bot.slack.grammar import incident_command

log = logging.getLogger(__name__)

MAX_PRIVATE_CHECKED = 50  # private war rooms asked about per /incident stats

# Sections later domains add to the answer (bot.metrics: the error budget spent per service),
# given the figures and the incidents the asker may not see; each returns one mrkdwn section
# or None. One that fails is logged and left out.
StatsHook = Callable[[Runtime, Stats, frozenset[int]], Awaitable[str | None]]
STATS_HOOKS: list[StatsHook] = []


def _times(name: str, d: Durations, note: str = "") -> str:
    if not d.count:
        return f"• Time to {name}: no data{note}"
    return f"• Time to {name}: median {minutes(d.median)}, p90 {minutes(d.p90)} ({d.count}){note}"


def stats_text(stats: Stats) -> list[str]:
    """The figures as mrkdwn sections (each well under Slack's 3000 characters)."""
    tag = f", tag `{stats.query.tag}`" if stats.query.tag else ""
    head = stats_title(stats).replace(" (UTC)", "").replace(f", tag {stats.query.tag}", tag)
    severity = " · ".join(f"{s.upper()} {n}" for s, n in stats.by_severity.items()) or "none"
    weeks = list(stats.by_week.items())[-8:]
    by_week = "\n".join(
        f"• {week}: " + ", ".join(f"{s.upper()} {n}" for s, n in sorted(counts.items()))
        for week, counts in weeks
    )
    a = stats.actions
    sections = [
        f":bar_chart: *{head}*: {stats.incidents} incident{'s' if stats.incidents != 1 else ''} "
        f"({severity})" + (f"\n*By week* (latest {len(weeks)}):\n{by_week}" if weeks else ""),
        "*Response times*\n"
        + "\n".join(
            [
                _times("detect", stats.detect, ", first alert to declaration"),
                _times("mitigate", stats.mitigate),
                _times("resolve", stats.resolve),
                _times(
                    "acknowledge",
                    stats.acknowledge,
                    f", of {stats.pages} page{'s' if stats.pages != 1 else ''}",
                ),
            ]
        )
        + f"\n• Update cadence kept: {percent(stats.intervals_on_time, stats.intervals)} of "
        f"{stats.intervals} intervals had a status update on time",
        f"*Action items*: {a['open']} open ({a['overdue']} overdue), {a['done']} done, "
        f"{a['verified']} verified\n*Contributing factors with an action item*: "
        f"{percent(stats.factors_with_action, stats.factors)} "
        f"({stats.factors_with_action} of {stats.factors})",
        "*Most frequent tags*: "
        + (", ".join(f"`{t}` {n}" for t, n in stats.top_tags) or "none")
        + "\n*Factor kinds*: "
        + (", ".join(f"{k} {n}" for k, n in stats.factor_kinds) or "none"),
    ]
    return sections


async def post_chart(rt: Runtime, user_id: str, png: bytes, title: str) -> str:
    """The chart in a direct message to the user; returns its link. Raises on failure."""
    opened = await rt.client.conversations_open(users=user_id)
    channel = str(opened["channel"]["id"])
    return await upload_file(
        rt,
        channel,
        filename="incident-stats.png",
        title=title,
        content=png,
        comment=":bar_chart: The chart of your `/incident stats`.",
    )


async def _not_visible(
    rt: Runtime, user_id: str, private: list[tuple[int, str | None]]
) -> frozenset[int]:
    """The private incidents this person is not in the channel of (asked of Slack, at most
    MAX_PRIVATE_CHECKED channels; beyond those, left out: private stays private)."""
    is_member = MembershipCheck(rt, user_id)
    hidden = set()
    channels_asked: set[str] = set()
    for incident_id, channel_id in private:
        if channel_id and channel_id not in channels_asked:
            if len(channels_asked) >= MAX_PRIVATE_CHECKED:
                hidden.add(incident_id)
                continue
            channels_asked.add(channel_id)
        if not await is_member(channel_id):
            hidden.add(incident_id)
    return frozenset(hidden)


@incident_command(
    "stats",
    usage="[7d|30d|90d|365d|all] [tag] [drills]",
    summary=(
        "Figures over a period (default 30d), for one tag if given: incidents by severity and "
        "week, times to detect, mitigate and resolve, cadence kept, action items, factors "
        "addressed, top tags. Answered privately; the chart comes as a direct message"
    ),
)
async def stats_command(ctx: CommandContext, args: str) -> None:
    query = parse_stats_args(args)
    async with ctx.rt.db.connection() as conn:
        private = await private_incidents(conn)
    hidden = await _not_visible(ctx.rt, ctx.user_id, private)
    async with ctx.rt.db.connection() as conn:
        stats = await compute_stats(
            conn,
            query,
            now=utc_now(),
            default_cadence=ctx.rt.settings.update_interval_seconds,
            hidden=hidden,
        )
    sections = stats_text(stats)
    for hook in STATS_HOOKS:
        try:
            extra = await hook(ctx.rt, stats, hidden)
        except Exception:
            log.exception("stats hook %s failed", getattr(hook, "__name__", hook))
            continue
        if extra:
            sections.append(extra)
    png = await draw(lambda: draw_stats_chart(stats))
    try:
        link = await post_chart(ctx.rt, ctx.user_id, png, stats_title(stats))
        sections.append(f"*Chart*: {link} (sent to you as a direct message)")
    except Exception as exc:
        log.warning("stats chart not sent: %s", slack_error_text(exc))
        sections.append(f":warning: I could not send you the chart ({slack_error_text(exc)}).")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections
    ]
    await ctx.reply("\n".join(sections)[:3000], blocks=blocks)
