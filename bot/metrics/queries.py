"""An incident's expressions and its Prometheus checks in the database.

A check is due when `metric_check.due_at` is set (at declare, at each reminder, when asked);
a replica takes it with a conditional UPDATE (due, lease free), so two replicas ask once and a
replica that dies mid-check leaves it to another once the lease runs out. It is done when
its claimer clears `due_at`, unless it was asked for again meanwhile."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.metrics.expr import MAX_METRICS, expr_from_generator_url, next_name
from storage.models.alerts import AlertGroup
from storage.models.incidents import Incident
from storage.models.metrics import IncidentMetric, MetricCheck
from storage.tables import table_of
from storage.types import utcnow

CHECK = table_of(MetricCheck)
# A check whose war room has no card yet waits for it this long, then goes without.
CARD_WAIT = timedelta(seconds=30)


@dataclass(frozen=True)
class Claimed:
    incident_id: int
    due_at: datetime
    why: str
    previous_failed: bool


async def metrics_of(session: AsyncSession, incident_id: int) -> list[IncidentMetric]:
    stmt = (
        select(IncidentMetric)
        .where(IncidentMetric.incident_id == incident_id)
        .order_by(col(IncidentMetric.id))
    )
    return list((await session.exec(stmt)).all())


async def check_of(session: AsyncSession, incident_id: int) -> MetricCheck | None:
    return await session.get(MetricCheck, incident_id)


def alert_expressions(groups: list[AlertGroup]) -> list[tuple[str, str]]:
    """(expression, source) of the alert groups: each generatorURL's `g0.expr`, then the
    `promql` annotation; each once."""
    found: list[tuple[str, str]] = []
    for group in groups:
        for label, url in json.loads(group.links or "[]"):
            expr = expr_from_generator_url(url) if label == "Source" else None
            if expr and expr not in {e for e, _ in found}:
                found.append((expr, "alert"))
        if group.promql and group.promql not in {e for e, _ in found}:
            found.append((group.promql, "annotation"))
    return found


async def add_metric(
    session: AsyncSession,
    incident_id: int,
    expr: str,
    source: str,
    *,
    name: str | None = None,
    added_by: str | None = None,
) -> IncidentMetric | None:
    """Store the expression under its name (m1, m2, ... by default); None if the incident has
    it already or has MAX_METRICS. A name already taken is replaced."""
    existing = await metrics_of(session, incident_id)
    if any(m.expr == expr and (name is None or m.name == name) for m in existing):
        return None
    same_name = next((m for m in existing if m.name == name), None)
    if same_name is not None:
        same_name.expr, same_name.source, same_name.added_by = expr, source, added_by
        session.add(same_name)
        return same_name
    if len(existing) >= MAX_METRICS:
        return None
    metric = IncidentMetric(
        incident_id=incident_id,
        name=name or next_name({m.name for m in existing}),
        expr=expr,
        source=source,
        added_by=added_by,
    )
    session.add(metric)
    await session.flush()
    return metric


async def add_alert_metrics(session: AsyncSession, incident_id: int) -> list[IncidentMetric]:
    """The expressions of the alert groups linked to the incident, stored."""
    groups = list(
        (
            await session.exec(
                select(AlertGroup)
                .where(AlertGroup.incident_id == incident_id)
                .order_by(col(AlertGroup.id))
            )
        ).all()
    )
    added = []
    for expr, source in alert_expressions(groups):
        metric = await add_metric(session, incident_id, expr, source)
        if metric is not None:
            added.append(metric)
    return added


async def ask(session: AsyncSession, incident_id: int, why: str, now: datetime) -> None:
    """A check of the incident is due now (its row created the first time)."""
    result = await session.exec(
        update(CHECK).where(CHECK.c.incident_id == incident_id).values(due_at=now, why=why)
    )
    if result.rowcount:
        return
    try:
        async with session.begin_nested():
            session.add(MetricCheck(incident_id=incident_id, due_at=now, why=why))
    except IntegrityError:  # created meanwhile by another replica: ask on it
        await session.exec(
            update(CHECK).where(CHECK.c.incident_id == incident_id).values(due_at=now, why=why)
        )


async def due_checks(
    session: AsyncSession, now: datetime, limit: int = 20
) -> tuple[list[MetricCheck], bool]:
    """Checks due and not held by a live lease whose war room exists and has its card (or had
    CARD_WAIT to get one); and whether some due check still waits for its war room."""
    stmt = (
        select(MetricCheck, Incident.channel_id, Incident.card_ts)
        .join(Incident, col(Incident.id) == col(MetricCheck.incident_id))
        .where(
            col(MetricCheck.due_at) <= now,
            or_(col(MetricCheck.lease_until).is_(None), col(MetricCheck.lease_until) < now),
        )
        .order_by(col(MetricCheck.due_at))
        .limit(limit)
    )
    ready, waiting = [], False
    for check, channel_id, card_ts in (await session.exec(stmt)).all():
        if channel_id and (card_ts or (check.due_at and check.due_at < now - CARD_WAIT)):
            ready.append(check)
        else:
            waiting = True
    return ready, waiting


async def claim_check(
    session: AsyncSession, check: MetricCheck, claimer: str, now: datetime, lease: timedelta
) -> Claimed | None:
    """Take the check as read (the same due time), if nobody holds it: one claimer wins."""
    if check.due_at is None:
        return None
    result = await session.exec(
        update(CHECK)
        .where(
            and_(
                CHECK.c.incident_id == check.incident_id,
                CHECK.c.due_at == check.due_at,
                or_(CHECK.c.lease_until.is_(None), CHECK.c.lease_until < now),
            )
        )
        .values(claimed_by=claimer, lease_until=now + lease)
    )
    if not result.rowcount:
        return None
    return Claimed(check.incident_id, check.due_at, check.why, check.failed)


async def finish_check(
    session: AsyncSession, claimed: Claimed, claimer: str, summary: str | None, failed: bool
) -> None:
    """The check done: its answer kept for the card; not due again unless asked for again
    since it was claimed (then due as asked)."""
    await session.exec(
        update(CHECK)
        .where(and_(CHECK.c.incident_id == claimed.incident_id, CHECK.c.claimed_by == claimer))
        .values(summary=summary, failed=failed, checked_at=utcnow(), lease_until=None)
    )
    await session.exec(
        update(CHECK)
        .where(and_(CHECK.c.incident_id == claimed.incident_id, CHECK.c.due_at == claimed.due_at))
        .values(due_at=None)
    )
