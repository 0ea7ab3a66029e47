"""Escalations in the database: stored before anyone is paged, each step claimed by one replica
with a conditional update (status active, due, lease free), acknowledged once however many
presses or replicas (status active -> acknowledged, one row changed or none)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, insert, or_, type_coerce, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.incidents import Incident
from storage.models.paging import PageEscalation, PageNotification
from storage.tables import table_of
from storage.types import UTCDateTime, utcnow

ESC = table_of(PageEscalation)
NOTE = table_of(PageNotification)
INCIDENT = table_of(Incident)


async def claim_due(
    session: AsyncSession, claimer: str, now: datetime, lease: timedelta, limit: int
) -> list[PageEscalation]:
    """Take up to `limit` due steps nobody holds, in one statement: the steps (as they stand:
    round, level) this claimer now holds. Rows another replica claimed meanwhile fail the
    conditions again as they are updated, so each step has one claimer."""
    claimable = and_(
        ESC.c.status == "active",
        ESC.c.due_at <= now,
        or_(ESC.c.lease_until.is_(None), ESC.c.lease_until < now),
        # Never a step of an incident resolved since (cancel_resolved cancels it).
        ESC.c.incident_id.not_in(select(INCIDENT.c.id).where(INCIDENT.c.status == "resolved")),
    )
    due = select(ESC.c.id).where(claimable).order_by(ESC.c.due_at).limit(limit)
    stmt = (
        update(ESC)
        .where(and_(ESC.c.id.in_(due.scalar_subquery()), claimable))
        .values(claimed_by=claimer, lease_until=now + lease)
        .returning(*ESC.c)
    )
    rows = (await session.exec(stmt)).all()
    return sorted((PageEscalation(**dict(r._mapping)) for r in rows), key=lambda e: e.due_at)


async def finish(session: AsyncSession, escalation_id: int, claimer: str) -> bool:
    """Nobody answered: the escalation is over (told once, by its claimer)."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(ESC.c.id == escalation_id, ESC.c.status == "active", ESC.c.claimed_by == claimer)
        )
        .values(status="exhausted", lease_until=None)
    )
    return bool(result.rowcount)


async def acknowledge(
    session: AsyncSession, escalation_id: int, user_id: str, now: datetime
) -> bool:
    result = await session.exec(
        update(ESC)
        .where(and_(ESC.c.id == escalation_id, ESC.c.status == "active"))
        .values(status="acknowledged", acked_by=user_id, acked_at=now, lease_until=None)
    )
    return bool(result.rowcount)


async def escalate_now(
    session: AsyncSession, escalation_id: int, pending: tuple[int, int], now: datetime
) -> bool:
    """Bring the pending step (the one after the level pressed from) forward to now, once."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == escalation_id,
                ESC.c.status == "active",
                ESC.c.round == pending[0],
                ESC.c.level == pending[1],
                ESC.c.due_at > now,
            )
        )
        .values(due_at=now)
    )
    return bool(result.rowcount)


async def bring_forward(session: AsyncSession, escalation_id: int, now: datetime) -> bool:
    """An alert's first step, stored due after a grace, due now (the war room is open)."""
    result = await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == escalation_id,
                ESC.c.status == "active",
                ESC.c.round == 0,
                ESC.c.level == 0,
                ESC.c.due_at > now,
            )
        )
        .values(due_at=now)
    )
    return bool(result.rowcount)


async def cancel_resolved(session: AsyncSession) -> list[PageEscalation]:
    """Active escalations of incidents now resolved: cancelled (those this call cancelled)."""
    stmt = (
        select(PageEscalation)
        .join(Incident, col(Incident.id) == PageEscalation.incident_id)
        .where(col(PageEscalation.status) == "active", col(Incident.status) == "resolved")
    )
    found = list((await session.exec(stmt)).all())
    cancelled = []
    for esc in found:
        result = await session.exec(
            update(ESC)
            .where(and_(ESC.c.id == esc.id, ESC.c.status == "active"))
            .values(status="cancelled", lease_until=None)
        )
        if result.rowcount:
            cancelled.append(esc)
    return cancelled


async def next_due(session: AsyncSession) -> datetime | None:
    """When an active step is next claimable: its due time, or its lease's end if later."""
    when = case(
        (
            and_(ESC.c.lease_until.is_not(None), ESC.c.lease_until > ESC.c.due_at),
            ESC.c.lease_until,
        ),
        else_=ESC.c.due_at,
    )
    stmt = select(type_coerce(func.min(when), UTCDateTime())).where(ESC.c.status == "active")
    return (await session.exec(stmt)).first()


async def incidents_of(session: AsyncSession, ids: set[int]) -> dict[int, Incident]:
    if not ids:
        return {}
    found = (await session.exec(select(Incident).where(col(Incident.id).in_(ids)))).all()
    return {i.id or 0: i for i in found}


async def notifications(
    session: AsyncSession, escalation_id: int, round_: int | None = None, level: int | None = None
) -> list[PageNotification]:
    stmt = select(PageNotification).where(col(PageNotification.escalation_id) == escalation_id)
    if round_ is not None:
        stmt = stmt.where(col(PageNotification.round) == round_)
    if level is not None:
        stmt = stmt.where(col(PageNotification.level) == level)
    return list((await session.exec(stmt.order_by(col(PageNotification.id)))).all())


async def add_notifications_many(
    session: AsyncSession, wanted: list[tuple[PageEscalation, list[str], dict[str, datetime]]]
) -> dict[int, list[PageNotification]]:
    """A row per person of each step of a batch (kept if a previous claimer already stored
    it; `held`: those held for quiet hours, until when), in three statements: the rows of each
    step, by escalation id."""
    if not wanted:
        return {}
    ids = [step.id or 0 for step, _, _ in wanted]
    at = {step.id or 0: (step.round, step.level) for step, _, _ in wanted}

    async def current() -> dict[int, list[PageNotification]]:
        stmt = select(PageNotification).where(col(PageNotification.escalation_id).in_(ids))
        found: dict[int, list[PageNotification]] = {i: [] for i in ids}
        for note in (await session.exec(stmt.order_by(col(PageNotification.id)))).all():
            if at.get(note.escalation_id) == (note.round, note.level):
                found[note.escalation_id].append(note)
        return found

    have = await current()
    rows = [
        {
            "escalation_id": step.id or 0,
            "round": step.round,
            "level": step.level,
            "user_id": user_id,
            "created_at": utcnow(),
            "step_due_at": step.due_at,
            "held_until": held.get(user_id),
        }
        for step, users, held in wanted
        for user_id in dict.fromkeys(users)
        if user_id not in {n.user_id for n in have[step.id or 0]}
    ]
    if rows:
        await session.exec(insert(NOTE), params=rows)
    return await current()


async def mark_sent_many(session: AsyncSession, sent: list[tuple[int, str, str, datetime]]) -> None:
    """(notification id, channel, ts, when Slack took it) of a batch, in one statement."""
    if not sent:
        return
    await session.exec(
        update(NOTE)
        .where(NOTE.c.id == bindparam("note_id"))
        .values(
            sent_at=bindparam("taken"), channel_id=bindparam("channel"), ts=bindparam("msg_ts")
        ),
        params=[{"note_id": n, "channel": c, "msg_ts": t, "taken": at} for n, c, t, at in sent],
    )


async def advance_many(
    session: AsyncSession,
    claimer: str,
    steps: list[tuple[PageEscalation, tuple[int, int], datetime]],
) -> None:
    """The claimed steps done: each one's next step due at its time, in one statement (only
    while still ours and active: an acknowledgement in between wins)."""
    if not steps:
        return
    await session.exec(
        update(ESC)
        .where(
            and_(
                ESC.c.id == bindparam("esc_id"),
                ESC.c.status == "active",
                ESC.c.round == bindparam("was_round"),
                ESC.c.level == bindparam("was_level"),
                ESC.c.claimed_by == claimer,
            )
        )
        .values(
            round=bindparam("next_round"),
            level=bindparam("next_level"),
            due_at=bindparam("next_due"),
            lease_until=None,
        ),
        params=[
            {
                "esc_id": step.id,
                "was_round": step.round,
                "was_level": step.level,
                "next_round": after[0],
                "next_level": after[1],
                "next_due": due,
            }
            for step, after, due in steps
        ],
    )


async def mark_sent(
    session: AsyncSession, notification_id: int, channel_id: str, ts: str, now: datetime
) -> None:
    await session.exec(
        update(NOTE)
        .where(NOTE.c.id == notification_id)
        .values(sent_at=now, channel_id=channel_id, ts=ts)
    )
