"""An incident's error-budget row and the budget waivers, in the database.

A look is due when `incident_budget.due_at` is set (at declare, at each reminder, when asked,
at resolve); a replica takes it with a conditional UPDATE (due, lease free), as metric checks
are, so two replicas ask once and a replica that dies mid-look leaves it to another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.metrics.queries import CARD_WAIT
from bot.metrics.slo_config import Slo
from storage.models.incidents import Incident
from storage.models.metrics import BudgetWaiver, IncidentBudget
from storage.tables import table_of
from storage.types import utcnow

BUDGET = table_of(IncidentBudget)
WAIVER = table_of(BudgetWaiver)


@dataclass(frozen=True)
class ClaimedBudget:
    incident_id: int
    due_at: datetime
    why: str
    previous_failed: bool


async def ask_budget(
    session: AsyncSession, incident_id: int, slo: Slo, why: str, now: datetime
) -> None:
    """A look at the incident's budget is due now (its row created the first time)."""
    values = {"due_at": now, "why": why}
    result = await session.exec(
        update(BUDGET).where(BUDGET.c.incident_id == incident_id).values(**values)
    )
    if result.rowcount:
        return
    row = IncidentBudget(
        incident_id=incident_id,
        service=slo.service,
        objective=slo.objective,
        window=slo.window,
        due_at=now,
        why=why,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # created meanwhile by another replica
        await session.exec(
            update(BUDGET).where(BUDGET.c.incident_id == incident_id).values(**values)
        )


async def due_budgets(
    session: AsyncSession, now: datetime, limit: int = 20
) -> tuple[list[IncidentBudget], bool]:
    """Looks due and not held by a live lease whose war room has its card (or had CARD_WAIT
    to get one: the card shows the answer); and whether some due look still waits for it."""
    stmt = (
        select(IncidentBudget, Incident.channel_id, Incident.card_ts)
        .join(Incident, col(Incident.id) == col(IncidentBudget.incident_id))
        .where(
            col(IncidentBudget.due_at) <= now,
            or_(col(IncidentBudget.lease_until).is_(None), col(IncidentBudget.lease_until) < now),
        )
        .order_by(col(IncidentBudget.due_at))
        .limit(limit)
    )
    ready, waiting = [], False
    for row, channel_id, card_ts in (await session.exec(stmt)).all():
        if channel_id and (card_ts or (row.due_at and row.due_at < now - CARD_WAIT)):
            ready.append(row)
        else:
            waiting = True
    return ready, waiting


async def claim_budget(
    session: AsyncSession, row: IncidentBudget, claimer: str, now: datetime, lease: timedelta
) -> ClaimedBudget | None:
    """Take the look as read (the same due time), if nobody holds it: one claimer wins."""
    if row.due_at is None:
        return None
    result = await session.exec(
        update(BUDGET)
        .where(
            and_(
                BUDGET.c.incident_id == row.incident_id,
                BUDGET.c.due_at == row.due_at,
                or_(BUDGET.c.lease_until.is_(None), BUDGET.c.lease_until < now),
            )
        )
        .values(claimed_by=claimer, lease_until=now + lease)
    )
    if not result.rowcount:
        return None
    return ClaimedBudget(row.incident_id, row.due_at, row.why, row.failed)


async def finish_budget(
    session: AsyncSession,
    claimed: ClaimedBudget,
    claimer: str,
    *,
    summary: str,
    failed: bool,
    figures: dict[str, object],
    again_at: datetime | None,
) -> None:
    """The look done: its line kept for the card, the figures taken kept; due again at
    `again_at` (a figure still missing) or as asked meanwhile, else not."""
    await session.exec(
        update(BUDGET)
        .where(and_(BUDGET.c.incident_id == claimed.incident_id, BUDGET.c.claimed_by == claimer))
        .values(summary=summary, failed=failed, checked_at=utcnow(), lease_until=None, **figures)
    )
    await session.exec(
        update(BUDGET)
        .where(and_(BUDGET.c.incident_id == claimed.incident_id, BUDGET.c.due_at == claimed.due_at))
        .values(due_at=again_at)
    )


async def budgets_between(
    session: AsyncSession, since: datetime | None, hidden: frozenset[int]
) -> list[tuple[IncidentBudget, Incident]]:
    """The budget rows of incidents declared since `since` (all: None), but `hidden` ones."""
    stmt = select(IncidentBudget, Incident).join(
        Incident, col(Incident.id) == col(IncidentBudget.incident_id)
    )
    if since is not None:
        stmt = stmt.where(col(Incident.declared_at) >= since)
    if hidden:
        stmt = stmt.where(col(Incident.id).not_in(sorted(hidden)))
    return [(b, i) for b, i in (await session.exec(stmt.order_by(col(Incident.id)))).all()]


async def active_waivers(session: AsyncSession) -> dict[str, BudgetWaiver]:
    """The latest waiver still in force of each service (by lower-case name)."""
    stmt = (
        select(BudgetWaiver)
        .where(col(BudgetWaiver.ended_at).is_(None))
        .order_by(col(BudgetWaiver.id))
    )
    return {w.service.lower(): w for w in (await session.exec(stmt)).all()}


async def add_waiver(
    session: AsyncSession, service: str, incident_id: int, by: str, reason: str
) -> BudgetWaiver:
    waiver = BudgetWaiver(service=service, incident_id=incident_id, waived_by=by, reason=reason)
    session.add(waiver)
    await session.flush()
    return waiver


async def end_waivers(session: AsyncSession, service: str, now: datetime) -> int:
    """The service's budget recovered: its waivers end (the next spent budget closes again)."""
    result = await session.exec(
        update(WAIVER)
        .where(and_(WAIVER.c.service == service, WAIVER.c.ended_at.is_(None)))
        .values(ended_at=now)
    )
    return int(result.rowcount or 0)
