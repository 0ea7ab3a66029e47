"""The looks at the incidents' error budgets: a worker (the one base, bot/core/worker.py) takes
each due look from the database (claimed, so two replicas ask once), asks Prometheus (every
window at once, within PROMETHEUS_QUERY_TIMEOUT_SECONDS), keeps the card's line, and the
budget left at the declaration and at the resolution (asked at those moments: Prometheus's
`time=`, so a late look still takes the right figure), and refreshes the card.

Prometheus away is the card's line and one message in the war room, not again while it stays
away; a figure still missing (declare, resolve) is asked again after RETRY.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.core.worker import Worker
from bot.incidents.queries import get_incident
from bot.metrics.budget import Budget, measure_left, try_measure
from bot.metrics.budget_report import budget_line, failed_line, war_room_text
from bot.metrics.budget_store import (
    BUDGET,
    ClaimedBudget,
    claim_budget,
    due_budgets,
    finish_budget,
)
from bot.metrics.prometheus import PrometheusError, configured
from bot.metrics.slo_config import Slo, slo_of
from bot.response.card import refresh_card_only
from bot.slack.posting import post
from storage.models.incidents import Incident
from storage.models.metrics import IncidentBudget

log = logging.getLogger(__name__)

POLL_SECONDS = 10.0  # looks asked on another replica; resolved incidents swept
SOON_SECONDS = 0.2  # a look waiting for its war room's card: looked at again this soon
LEASE = timedelta(seconds=120)
RETRY = timedelta(minutes=5)  # a declare or resolve figure Prometheus could not give yet


class BudgetChecker(Worker):
    kind = "budget_checks"
    name = "error budget checks"

    def interval_seconds(self) -> float | None:
        return POLL_SECONDS

    async def run_once(self, now: datetime) -> None:
        async with self.rt.db.session() as session:
            await _sweep_resolved(session, now)
            due, waiting = await due_budgets(session, now)
        if waiting:  # a war room being opened: its look as soon as its card is posted
            self.at(now + timedelta(seconds=SOON_SECONDS), "soon", self.wake)
        for row in due:
            if self.stopping:
                return
            async with self.rt.db.session() as session:
                claimed = await claim_budget(session, row, self.instance, now, LEASE)
            if claimed is not None:
                await self._look(claimed)

    async def _look(self, claimed: ClaimedBudget) -> None:
        rt = self.rt
        async with rt.db.session() as session:
            incident = await get_incident(session, claimed.incident_id)
            row = await session.get(IncidentBudget, claimed.incident_id)
        slo = slo_of(rt, row.service) if row is not None else None
        if incident is None or row is None or slo is None:
            async with rt.db.session() as session:
                await finish_budget(
                    session,
                    claimed,
                    self.instance,
                    summary="",
                    failed=False,
                    figures={},
                    again_at=None,
                )
            return
        now = self.clock()
        budget = await try_measure(rt.settings, slo, now)
        figures, missing = await self._figures(slo, row, incident, ok=isinstance(budget, Budget))
        failed = not isinstance(budget, Budget)
        summary = (
            budget_line(budget) if isinstance(budget, Budget) else failed_line(slo, budget, now)
        )
        async with rt.db.session() as session:
            await finish_budget(
                session,
                claimed,
                self.instance,
                summary=summary,
                failed=failed,
                figures=figures,
                again_at=now + RETRY if missing else None,
            )
            incident = await get_incident(session, claimed.incident_id) or incident
        if incident.card_ts:
            await refresh_card_only(rt, incident)
        said = (
            war_room_text(budget)
            if isinstance(budget, Budget) and claimed.why == "asked"
            else summary
            if failed and (not claimed.previous_failed or claimed.why == "asked")
            else None
        )
        if said and incident.channel_id:
            await post(rt, incident.channel_id, said)

    async def _figures(
        self, slo: Slo, row: IncidentBudget, incident: Incident, *, ok: bool
    ) -> tuple[dict[str, object], bool]:
        """The declare and resolve figures still missing, asked at their moments; and whether
        one is missing still (Prometheus away: asked again after RETRY)."""
        figures: dict[str, object] = {}
        missing = False
        wanted: list[tuple[str, datetime]] = []
        if row.left_at_declare is None:  # no data then: asked again at each look
            wanted.append(("left_at_declare", incident.declared_at))
        if incident.status == "resolved" and row.resolve_taken_at is None:
            wanted.append(("left_at_resolve", incident.resolved_at or self.clock()))
        for name, at in wanted:
            if not ok:
                missing = True
                continue
            try:
                figures[name] = await measure_left(self.rt.settings, slo, at)
            except (PrometheusError, TimeoutError):
                missing = True
                continue
            if name == "left_at_resolve":
                figures["resolve_taken_at"] = self.clock()
        return figures, missing


async def _sweep_resolved(session: AsyncSession, now: datetime) -> None:
    """Resolved incidents whose resolve figure is not taken: a look due now (resolving only
    wakes the worker; this finds them, after a restart too)."""
    stmt = (
        select(col(IncidentBudget.incident_id))
        .join(Incident, col(Incident.id) == col(IncidentBudget.incident_id))
        .where(
            col(Incident.status) == "resolved",
            col(IncidentBudget.resolve_taken_at).is_(None),
            col(IncidentBudget.due_at).is_(None),
        )
        .limit(20)
    )
    ids = list((await session.exec(stmt)).all())
    if ids:
        await session.exec(
            update(BUDGET)
            .where(and_(BUDGET.c.incident_id.in_(ids), BUDGET.c.due_at.is_(None)))
            .values(due_at=now, why="resolve")
        )


def wake_budgets(rt: Runtime) -> None:
    checker = BudgetChecker.of(rt)
    if checker is not None:
        checker.wake()


def install_budgets(rt: Runtime) -> None:
    if not configured(rt.settings):
        return
    checker = BudgetChecker(rt)
    rt.startup_hooks.append(checker.start)
    rt.shutdown_hooks.append(checker.stop)
