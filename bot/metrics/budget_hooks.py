"""Where the error budget joins the other domains' flows, each through a hook the earlier
domain exposes (wired in bot/metrics/__init__.py):

- the declare and each reminder (called by hooks.py's, for a file with `slos`) and the
  response's RESOLVED_HOOKS: a look due (the worker asks Prometheus; the declare and the
  reminder only write a row);
- the card (called by hooks.py's CARD_HOOKS entry): the last look's line, from the database;
- the postmortem's DRAFT_HOOKS and EXPORT_HOOKS: the budget spent by the incident;
- learning's STATS_HOOKS: the budget spent per service over the period;
- follow-through's GATE_HOOKS and WAIVE_HOOKS: with DEPLOY_GATE_ERROR_BUDGET=true a spent
  budget closes the deploy gate, until it recovers or `/postmortem waive budget <reason>`.

Without PROMETHEUS_URL, or for a service without an SLO, each returns at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.learning.stats import Stats
from bot.metrics.budget import measure_left
from bot.metrics.budget_report import (
    asking_line,
    draft_lines,
    export_figures,
    percent,
    stats_section,
)
from bot.metrics.budget_store import (
    active_waivers,
    add_waiver,
    ask_budget,
    budgets_between,
    end_waivers,
)
from bot.metrics.budget_worker import wake_budgets
from bot.metrics.prometheus import PrometheusError, configured
from bot.metrics.slo_config import SLOS, Slo, slo_of
from bot.postmortem.record import IncidentRecord
from bot.postmortem.render.draft import DraftExtras
from bot.slack.blocks import context
from bot.slack.context import CommandContext
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.metrics import IncidentBudget
from storage.models.timeline import EntryKind
from storage.types import utcnow


def _slo(rt: Runtime, incident: Incident) -> Slo | None:
    return slo_of(rt, incident.service) if configured(rt.settings) else None


async def budget_declared(rt: Runtime, incident: Incident) -> None:
    """At declare: a look due at once (it waits for the war room's card)."""
    slo = _slo(rt, incident)
    if slo is None:
        return
    async with rt.db.session() as session:
        await ask_budget(session, incident.id or 0, slo, "declare", utcnow())
    wake_budgets(rt)


async def budget_reminded(rt: Runtime, incident_id: int) -> None:
    """At each reminder: a look again (the service may have been set since)."""
    async with rt.db.session() as session:
        incident = await session.get(Incident, incident_id)
        slo = _slo(rt, incident) if incident is not None else None
        if slo is None:
            return
        await ask_budget(session, incident_id, slo, "reminder", utcnow())
    wake_budgets(rt)


def budget_resolved(rt: Runtime, incident: Incident) -> None:
    """RESOLVED_HOOKS: the worker finds the incident and takes the figure at resolve."""
    wake_budgets(rt)


async def ask_now(rt: Runtime, incident: Incident) -> Slo | None:
    """`/incident metric`: a look now, told in the war room; None without an SLO."""
    slo = _slo(rt, incident)
    if slo is not None:
        async with rt.db.session() as session:
            await ask_budget(session, incident.id or 0, slo, "asked", utcnow())
        wake_budgets(rt)
    return slo


async def budget_card_blocks(rt: Runtime, incident: Incident) -> list[dict[str, Any]]:
    """On the card: the last look's line, or "asking Prometheus…"."""
    slo = _slo(rt, incident)
    if slo is None:
        return []
    async with rt.db.session() as session:
        row = await session.get(IncidentBudget, incident.id or 0)
    if row is None:
        return []
    return [context(row.summary or asking_line(slo))]


async def _row(rt: Runtime, incident_id: int) -> IncidentBudget | None:
    async with rt.db.session() as session:
        return await session.get(IncidentBudget, incident_id)


async def budget_draft(rt: Runtime, record: IncidentRecord) -> DraftExtras:
    row = await _row(rt, record.incident.id or 0)
    return DraftExtras(metrics_lines=draft_lines(row) if row is not None else [])


async def budget_export(rt: Runtime, record: IncidentRecord) -> dict[str, Any]:
    row = await _row(rt, record.incident.id or 0)
    return {"error_budget": export_figures(row)} if row is not None else {}


async def budget_stats(rt: Runtime, stats: Stats, hidden: frozenset[int]) -> str | None:
    async with rt.db.session() as session:
        rows = await budgets_between(session, stats.since, hidden)
    kept = [b for b, i in rows if stats.query.drills or not i.drill]
    return stats_section(kept, stats.query.tag)


async def _left_or_problem(rt: Runtime, slo: Slo) -> float | str | None:
    try:
        return await measure_left(rt.settings, slo, utcnow())
    except (PrometheusError, TimeoutError) as exc:
        return str(exc) or "Prometheus did not answer in time"


async def budget_gate(rt: Runtime) -> list[dict[str, Any]]:
    """GATE_HOOKS: each SLO's budget now. Spent and not waived closes the gate; recovered ends
    its waivers; Prometheus away holds no deploy (said in the entry: the action items still
    hold theirs)."""
    slos = rt.config.get(SLOS)
    if not rt.settings.deploy_gate_error_budget or not configured(rt.settings) or not slos:
        return []
    lefts = await asyncio.gather(*(_left_or_problem(rt, slo) for slo in slos))
    entries: list[dict[str, Any]] = []
    async with rt.db.session() as session:
        waivers = await active_waivers(session)
        for slo, left in zip(slos, lefts, strict=True):
            name = f"{slo.service} ({slo.objective:g}% over {slo.window})"
            base = {"service": slo.service, "objective": slo.objective, "window": slo.window}
            if isinstance(left, str):
                reason = f"error budget of {name} unknown ({left}): not holding deploys for it"
                entries.append({**base, "state": "unknown", "blocked": False, "reason": reason})
            elif left is not None and left <= 0:
                waiver = waivers.get(slo.service.lower())
                state = {**base, "budget_left": left}
                if waiver is not None:
                    reason = (
                        f"error budget of {name} spent, waived in incident #{waiver.incident_id}"
                    )
                    entries.append({**state, "state": "waived", "blocked": False, "reason": reason})
                else:
                    reason = (
                        f"error budget of {name} spent ({percent(-left)} over): deploys wait "
                        "until it recovers, or the commander of an incident on it runs "
                        "`/postmortem waive budget <reason>`"
                    )
                    entries.append({**state, "state": "spent", "blocked": True, "reason": reason})
            elif left is not None and slo.service.lower() in waivers:
                await end_waivers(session, waivers[slo.service.lower()].service, utcnow())
    return entries


async def waive_budget(ctx: CommandContext, incident: Incident, reason: str) -> str:
    """WAIVE_HOOKS: `/postmortem waive budget <reason>` (the commander, checked before)."""
    rt = ctx.rt
    if not rt.settings.deploy_gate_error_budget:
        raise UserError(
            "The deploy gate does not look at error budgets (DEPLOY_GATE_ERROR_BUDGET is not "
            "true): there is nothing to waive."
        )
    slo = _slo(rt, incident)
    if slo is None:
        service = f"`{escape(incident.service)}`" if incident.service else "no service"
        raise UserError(
            f"This incident is about {service}, which has no SLO in the configuration file's "
            "`slos`: no error budget holds its deploys."
        )
    left = await _left_or_problem(rt, slo)
    if isinstance(left, float) and left > 0:
        raise UserError(
            f"The error budget of `{escape(slo.service)}` is not spent ({percent(left)} left): "
            "the gate is not closed by it."
        )
    async with rt.db.session() as session:
        if slo.service.lower() in await active_waivers(session):
            raise UserError(f"The spent budget of `{escape(slo.service)}` is waived already.")
        await add_waiver(session, slo.service, incident.id or 0, ctx.user_id, reason)
        await add_bot_action(
            session,
            incident.id or 0,
            f"Spent error budget of {slo.service} waived for deploys by <@{ctx.user_id}>: {reason}",
            actor_id=ctx.user_id,
            kind=EntryKind.ACTION_ITEM,
        )
    unknown = f" (I could not check the budget: {escape(left)})" if isinstance(left, str) else ""
    return (
        f":unlock: Deploys of `{escape(slo.service)}` go ahead despite its spent error budget"
        f"{unknown}, until it recovers. The waiver and its reason are recorded: {escape(reason)}"
    )
