"""Where the metric joins the other domains' flows, each through a hook the earlier domain
exposes (wired in bot/metrics/__init__.py):

- the response's DECLARED_HOOKS: an incident opened by an alert stores the alert's
  expressions and a check due at once (the worker asks once the war room has its card);
- alerts' JOINED_HOOKS: an alert added to an open incident brings its expressions, checked;
- the cadence's PROMPTED_HOOKS: each status-update reminder asks again;
- the response's CARD_HOOKS: the card's line, the last answer (read from the database, never
  a query to Prometheus: the card is never kept waiting).

Without PROMETHEUS_URL each returns at once; an incident without expressions costs each one
read of the database, here (the declare and the reminder enter no other file of this domain,
unless the configuration file has `slos`: then the error budget's, budget_hooks.py).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import col, select

from bot.core.runtime import Runtime
from bot.metrics.budget_hooks import budget_card_blocks, budget_declared, budget_reminded
from bot.metrics.queries import add_alert_metrics, ask, metrics_of
from bot.metrics.report import asking_line
from bot.metrics.slo_config import SLOS
from bot.metrics.worker import MetricChecker
from bot.slack.blocks import context
from storage.models.alerts import AlertGroup
from storage.models.incidents import Incident
from storage.models.metrics import MetricCheck
from storage.types import utcnow

log = logging.getLogger(__name__)


def wake(rt: Runtime) -> None:
    checker = MetricChecker.of(rt)
    if checker is not None:
        checker.wake()


def configured(rt: Runtime) -> bool:
    return rt.settings.prometheus_url is not None


async def alert_declared(rt: Runtime, incident: Incident) -> None:
    """DECLARED_HOOKS: the expressions of the alert that opened the incident, if any; and a
    look at the error budget of its service, if it has an SLO (budget_hooks.py)."""
    if not configured(rt):
        return
    if incident.service and rt.config.get(SLOS):
        await budget_declared(rt, incident)
    async with rt.db.session() as session:
        linked = select(col(AlertGroup.id)).where(AlertGroup.incident_id == incident.id)
        if (await session.exec(linked.limit(1))).first() is None:
            return  # declared by a person: no alert, no expression
        if not await add_alert_metrics(session, incident.id or 0):
            return
        await ask(session, incident.id or 0, "declare", utcnow())
    wake(rt)  # it waits for the card, looking again every SOON_SECONDS


async def alert_joined(rt: Runtime, incident_id: int) -> None:
    """JOINED_HOOKS: a new alert's expressions on an open incident, checked at once."""
    if not configured(rt):
        return
    try:
        async with rt.db.session() as session:
            if await add_alert_metrics(session, incident_id):
                await ask(session, incident_id, "declare", utcnow())
    except Exception:  # the alert is added; its metric is an extra
        log.exception("metrics of the alert joining incident %s failed", incident_id)
        return
    wake(rt)


async def reminded(rt: Runtime, incident_id: int) -> None:
    """PROMPTED_HOOKS: each reminder asks again (an incident with expressions only), and looks
    at the error budget again (a service with an SLO)."""
    if not configured(rt):
        return
    if rt.config.get(SLOS):
        await budget_reminded(rt, incident_id)
    async with rt.db.session() as session:
        if await session.get(MetricCheck, incident_id) is None:
            return  # no expression: nothing to ask
        await ask(session, incident_id, "reminder", utcnow())
    wake(rt)


async def metric_card_blocks(rt: Runtime, incident: Incident) -> list[dict[str, Any]]:
    """CARD_HOOKS: the last answer's line, or "asking Prometheus…"; nothing without
    expressions or without PROMETHEUS_URL. Then the error budget's line, for a service with
    an SLO (budget_hooks.py)."""
    if not configured(rt):
        return []
    blocks = await _metric_blocks(rt, incident)
    if incident.service and rt.config.get(SLOS):
        blocks += await budget_card_blocks(rt, incident)
    return blocks


async def _metric_blocks(rt: Runtime, incident: Incident) -> list[dict[str, Any]]:
    async with rt.db.session() as session:
        check = await session.get(MetricCheck, incident.id or 0)
        if check is None:
            return []
        if check.summary:
            return [context(check.summary)]
        metrics = await metrics_of(session, incident.id or 0)
    return [context(asking_line(metrics))] if metrics else []
