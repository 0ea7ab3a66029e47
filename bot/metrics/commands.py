"""`/incident metric [name=]<promql>`: show the incident's expressions now (values and the
last hour's chart, in the war room), or add one (checked by Prometheus first)."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.incidents.lookup import incident_in_channel
from bot.metrics.budget_hooks import ask_now
from bot.metrics.expr import MAX_METRICS, parse_metric_args
from bot.metrics.hooks import wake
from bot.metrics.prometheus import Prometheus, PrometheusError, QueryRefused, configured
from bot.metrics.queries import add_metric, ask, metrics_of
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.slack.permissions import WITH_ARGUMENTS, authorize
from bot.slack.text import escape, unescape
from storage.types import utcnow

NOT_SET = (
    "No Prometheus is configured (PROMETHEUS_URL is not set), so I cannot show metrics. "
    "See docs/metrics.md."
)


@incident_command(
    "metric",
    usage="[[name=]<promql>]",
    summary="Show the incident's metric now with the last hour's chart, or add an expression",
)
async def metric(ctx: CommandContext, args: str) -> None:
    incident = await incident_in_channel(ctx)
    incident_id = incident.id or 0
    if args.strip():
        # Slack sends `>` as `&gt;`: the expression as typed, before anything else reads it.
        name, expr = parse_metric_args(unescape(args))
        # Showing is for everyone (the table's `read`); adding is `process`.
        entry_point, action = WITH_ARGUMENTS["/incident metric <promql>"]
        await authorize(ctx.rt, entry_point, ctx.user_id, also=action)
    if not configured(ctx.rt.settings):
        raise UserError(NOT_SET)
    if not args.strip():
        async with ctx.rt.db.session() as session:
            metrics = await metrics_of(session, incident_id)
            if metrics:
                await ask(session, incident_id, "asked", utcnow())
        slo = await ask_now(ctx.rt, incident)  # the service's error budget, if it has an SLO
        if not metrics and slo is None:
            raise UserError(
                "This incident has no expression yet (it was not opened by a Prometheus "
                "alert): `/incident metric [name=]<promql>` adds one."
            )
        wake(ctx.rt)
        asked = [f"`{escape(m.name)}`" for m in metrics]
        if slo is not None:
            asked.append(f"the error budget of `{escape(slo.service)}`")
        what = "the values and chart" if metrics else "the burn rate and budget left"
        await ctx.reply(f"Asking Prometheus about {', '.join(asked)}: {what} follow here.")
        return
    warning = ""
    try:
        async with Prometheus(ctx.rt.settings) as prom:
            await prom.instant(expr)
    except QueryRefused as exc:
        raise UserError(f"Prometheus refuses `{escape(expr)}`: {escape(str(exc))}") from None
    except PrometheusError as exc:  # away: stored anyway, asked at the next check
        warning = f" (I could not check it: {escape(str(exc))})"
    async with ctx.rt.db.session() as session:
        added = await add_metric(
            session, incident_id, expr, "person", name=name, added_by=ctx.user_id
        )
        if added is not None:
            await ask(session, incident_id, "asked", utcnow())
    if added is None:
        raise UserError(
            f"This incident has that expression already, or {MAX_METRICS} of them "
            "(`/incident metric` shows them)."
        )
    wake(ctx.rt)
    await ctx.reply(
        f"Added `{escape(added.name)}`{warning}: its values and chart follow in this channel."
    )
