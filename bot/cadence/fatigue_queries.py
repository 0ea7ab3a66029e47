"""Fatigue from the database: who has been active in which open war room, and the nudge claims.

Activity is what people did there that the timeline holds: their messages and the commands
that record something (notes, status, roles, updates, ticks...). Copied messages, other bots
and the bot's own reminders are not anyone's activity.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.cadence import FatigueNudge
from storage.models.incidents import OPEN_STATUSES, Incident
from storage.models.timeline import EntryKind, TimelineEntry
from storage.tables import table_of

NUDGE = table_of(FatigueNudge)
NOT_ACTIVITY = (EntryKind.COPIED, EntryKind.BOT_MESSAGE, EntryKind.PROMPT)


async def activity_since(session: AsyncSession, since: datetime) -> list[tuple[int, str, datetime]]:
    """(incident, person, when) of each thing people did in open incidents since `since`."""
    stmt = (
        select(TimelineEntry.incident_id, TimelineEntry.author_id, TimelineEntry.occurred_at)
        .join(Incident, col(Incident.id) == TimelineEntry.incident_id)
        .where(
            col(Incident.status).in_(OPEN_STATUSES),
            col(TimelineEntry.occurred_at) >= since,
            col(TimelineEntry.author_id).is_not(None),
            col(TimelineEntry.kind).not_in(NOT_ACTIVITY),
        )
        .order_by(col(TimelineEntry.occurred_at))
    )
    rows = (await session.exec(stmt)).all()
    return [(i, a, t) for i, a, t in rows if a and a[0] in "UW"]


async def nudged_since(
    session: AsyncSession, incident_id: int, user_id: str, since: datetime
) -> bool:
    """Was this person nudged about this incident at or after `since` (in this stretch)?"""
    stmt = select(FatigueNudge.id).where(
        FatigueNudge.incident_id == incident_id,
        FatigueNudge.user_id == user_id,
        col(FatigueNudge.created_at) >= since,
    )
    return (await session.exec(stmt)).first() is not None


async def claim_nudge(
    session: AsyncSession,
    incident_id: int,
    user_id: str,
    stretch_start: datetime,
    claimer: str,
    now: datetime,
) -> int | None:
    """Insert the claim for this stretch; its id for the one claimer that inserted it."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert(NUDGE) if dialect == "postgresql" else sqlite_insert(NUDGE)
    result = await session.exec(
        insert.values(
            incident_id=incident_id,
            user_id=user_id,
            stretch_start=stretch_start,
            claimed_by=claimer,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["incident_id", "user_id", "stretch_start"])
        .returning(NUDGE.c.id)
    )
    row = result.first()
    return int(row[0]) if row else None


async def stale_claims(session: AsyncSession, older_than: datetime) -> list[FatigueNudge]:
    """Claims whose sender died before sending (no sent_at, claimed before `older_than`)."""
    stmt = (
        select(FatigueNudge)
        .join(Incident, col(Incident.id) == FatigueNudge.incident_id)
        .where(
            col(FatigueNudge.sent_at).is_(None),
            col(FatigueNudge.created_at) <= older_than,
            col(Incident.status).in_(OPEN_STATUSES),
        )
    )
    return list((await session.exec(stmt)).all())


async def take_over(
    session: AsyncSession, nudge_id: int, claimer: str, now: datetime, older_than: datetime
) -> bool:
    result = await session.exec(
        update(NUDGE)
        .where(
            and_(
                NUDGE.c.id == nudge_id,
                NUDGE.c.sent_at.is_(None),
                NUDGE.c.created_at <= older_than,
            )
        )
        .values(claimed_by=claimer, created_at=now)
    )
    return bool(result.rowcount)


async def mark_sent(session: AsyncSession, nudge_id: int, now: datetime) -> None:
    await session.exec(update(NUDGE).where(NUDGE.c.id == nudge_id).values(sent_at=now))


def recent_others(
    activity: list[tuple[int, str, datetime]],
    incident_id: int,
    user_id: str,
    since: datetime,
) -> list[str]:
    """Who else was active in this incident since `since`, most recent first."""
    seen: list[str] = []
    for i, who, when in reversed(activity):
        if i == incident_id and who != user_id and when >= since and who not in seen:
            seen.append(who)
    return seen


def lookback(hours: float) -> timedelta:
    """How far back stretches are traced: a stretch longer than this may be nudged again."""
    return max(timedelta(hours=24), timedelta(hours=hours * 3))
