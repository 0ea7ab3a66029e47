"""`GET /stats` and its chart `GET /stats/chart.png`: the figures and the chart of
`/incident stats` (bot/learning/stats.py computes both) for a period, a tag and drills if
asked; private incidents the reader is not in the channel of are left out of every figure."""

from __future__ import annotations

from aiohttp import web

from bot.core.runtime import Runtime
from bot.learning.charts import draw
from bot.learning.figures import minutes, percent
from bot.learning.stats import (
    PERIODS,
    Stats,
    StatsQuery,
    compute_stats,
    private_incidents,
    utc_now,
)
from bot.learning.stats_chart import draw_stats_chart, stats_title
from bot.learning.tags import TAG
from bot.web.render import page
from bot.web.session import PageRefused, Reader
from bot.web.visibility import Visibility


def stats_query(request: web.Request) -> StatsQuery:
    period = request.query.get("period", "30d") or "30d"
    if period not in PERIODS:
        raise PageRefused(400, f"period must be one of {', '.join(PERIODS)}")
    tag = request.query.get("tag", "").strip().lstrip("#").lower() or None
    if tag and not TAG.match(tag):
        raise PageRefused(400, "tag must be a tag such as database (letters, digits and dashes)")
    return StatsQuery(period, tag, request.query.get("drills", "") == "1")


async def reader_stats(rt: Runtime, reader: Reader, query: StatsQuery) -> Stats:
    async with rt.db.connection() as conn:
        private = await private_incidents(conn)
    theirs = await Visibility(rt, reader.user_id).private_channels()
    hidden = frozenset(i for i, channel in private if channel not in theirs)
    async with rt.db.connection() as conn:
        return await compute_stats(
            conn,
            query,
            now=utc_now(),
            default_cadence=rt.settings.update_interval_seconds,
            hidden=hidden,
        )


def chart_link(query: StatsQuery) -> str:
    parts = [f"period={query.period}"]
    if query.tag:
        parts.append(f"tag={query.tag}")
    if query.drills:
        parts.append("drills=1")
    return "/stats/chart.png?" + "&".join(parts)


async def stats(rt: Runtime, request: web.Request, reader: Reader) -> str:
    query = stats_query(request)
    figures = await reader_stats(rt, reader, query)
    return page(
        "stats.html.j2",
        reader=reader,
        stats=figures,
        title=stats_title(figures),
        periods=list(PERIODS),
        chart=chart_link(query),
        minutes=minutes,
        percent=percent,
    )


async def chart(rt: Runtime, request: web.Request, reader: Reader) -> web.Response:
    figures = await reader_stats(rt, reader, stats_query(request))
    png = await draw(lambda: draw_stats_chart(figures))
    return web.Response(body=png, content_type="image/png")
