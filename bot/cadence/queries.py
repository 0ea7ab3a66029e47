"""Queries behind the status-update cadence. The database holds the truth; these claim from it.

A prompt is claimed by moving `incident.next_prompt_at` from the due time it was seen at to
the end of a short lease, in a single conditional UPDATE. Whoever's UPDATE matches (one
process, one replica) owns that prompt; everyone else's matches no row. The `update_prompt`
row written in the same transaction is unique on (incident_id, due_at), a second lock on the
same door. Once the prompt is posted, the clock moves on to the next prompt (`settle`); if
the claimer dies before that, the lease runs out and the prompt falls due again, so a crash
between claiming and posting delays a prompt instead of losing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.timeline.queries import BotAction, add_bot_actions
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import OPEN_STATUSES, Incident
from storage.models.timeline import EntryKind
from storage.tables import table_of
from storage.types import utcnow


@dataclass(frozen=True)
class DuePrompt:
    incident_id: int
    due_at: datetime
    interval_seconds: int | None


async def due_prompts(session: AsyncSession, until: datetime, limit: int = 2000) -> list[DuePrompt]:
    """Incidents whose next prompt is due by `until`, soonest first (only those with a channel)."""
    stmt = (
        select(Incident.id, Incident.next_prompt_at, Incident.update_interval_seconds)
        .where(col(Incident.next_prompt_at) <= until)
        .where(col(Incident.channel_id).is_not(None))
        .where(col(Incident.status).in_(OPEN_STATUSES))
        .where(col(Incident.war_room_state).is_(None))  # not while archived or left
        .order_by(col(Incident.next_prompt_at))
        .limit(limit)
    )
    rows = (await session.exec(stmt)).all()
    return [DuePrompt(r[0], r[1], r[2]) for r in rows if r[0] is not None and r[1] is not None]


@dataclass(frozen=True)
class ClaimedIncident:
    """What a prompt needs to know about its incident, read back by the claiming UPDATE."""

    id: int
    title: str
    channel_id: str
    commander_id: str
    communicator_id: str | None
    declared_at: datetime
    last_update_at: datetime | None
    unanswered_prompts: int
    drill: bool = False


_incidents = table_of(Incident)
_prompts = table_of(UpdatePrompt)


async def claim_prompt(
    session: AsyncSession, incident_id: int, due_at: datetime, lease_until: datetime
) -> ClaimedIncident | None:
    """Take the prompt due at `due_at`, or None if someone else did (or the clock moved).

    Moves the incident's clock to `lease_until` (when the prompt falls due again unless it
    is settled first) and counts one more unanswered prompt. The caller records the prompt
    (`add_prompt`) in the same transaction. Plain SQL expressions rather than the ORM: this
    runs for every prompt of every incident.
    """
    c = _incidents.c
    stmt = (
        update(_incidents)
        .where(c.id == incident_id)
        .where(c.next_prompt_at == due_at)
        .where(c.status.in_(OPEN_STATUSES))
        .values(next_prompt_at=lease_until, unanswered_prompts=c.unanswered_prompts + 1)
        .returning(
            c.id,
            c.title,
            c.channel_id,
            c.commander_id,
            c.communicator_id,
            c.declared_at,
            c.last_update_at,
            c.unanswered_prompts,
            c.drill,
        )
    )
    row = (await session.exec(stmt)).first()
    return ClaimedIncident(*row) if row is not None else None


async def add_prompt(
    session: AsyncSession, incident_id: int, due_at: datetime, claimed_by: str, mentioned: list[str]
) -> int:
    """Record the claimed prompt; unique on (incident_id, due_at). Returns its id."""
    stmt = (
        insert(_prompts)
        .values(
            incident_id=incident_id,
            due_at=due_at,
            claimed_by=claimed_by,
            mentioned=",".join(mentioned)[:128],
        )
        .returning(_prompts.c.id)
    )
    return int((await session.exec(stmt)).scalar_one())


@dataclass(frozen=True)
class SentPrompt:
    prompt_id: int
    incident_id: int
    due_at: datetime
    message_ts: str | None
    sent_at: datetime
    timeline_text: str
    lease_until: datetime
    next_due: datetime


@dataclass(frozen=True)
class Settlement:
    """Move an incident's clock from the claim's lease to its next prompt."""

    incident_id: int
    lease_until: datetime
    next_due: datetime


async def settle(session: AsyncSession, settlements: list[Settlement]) -> None:
    """End claims: each clock moves from its lease to its next prompt, if still on the lease.

    A clock moved meanwhile (an update, a snooze, resolving) is left where it was moved to.
    """
    if not settlements:
        return
    c = _incidents.c
    await session.exec(
        update(_incidents)
        .where(c.id == bindparam("incident"))
        .where(c.next_prompt_at == bindparam("lease", type_=c.next_prompt_at.type))
        .values(next_prompt_at=bindparam("following", type_=c.next_prompt_at.type)),
        params=[
            {"incident": s.incident_id, "lease": s.lease_until, "following": s.next_due}
            for s in settlements
        ],
    )


async def record_prompts_sent(session: AsyncSession, sent: list[SentPrompt]) -> None:
    """Mark prompts as posted, settle their claims and add their "prompt" timeline entries,
    in three statements, because this runs for every prompt."""
    await settle(session, [Settlement(s.incident_id, s.lease_until, s.next_due) for s in sent])
    await session.exec(
        update(_prompts)
        .where(_prompts.c.id == bindparam("prompt_id"))
        .values(sent_at=bindparam("posted_at"), message_ts=bindparam("ts")),
        params=[
            {"prompt_id": s.prompt_id, "posted_at": s.sent_at, "ts": s.message_ts} for s in sent
        ],
    )
    await add_bot_actions(
        session,
        [BotAction(s.incident_id, s.timeline_text, s.sent_at, EntryKind.PROMPT) for s in sent],
    )


async def give_back_prompt(
    session: AsyncSession, incident_id: int, lease_until: datetime, retry_at: datetime
) -> bool:
    """After a prompt could not be posted: it falls due again at `retry_at`.

    Conditional on nobody having moved the clock since the claim (an update, a snooze).
    """
    stmt = (
        update(Incident)
        .where(col(Incident.id) == incident_id)
        .where(col(Incident.next_prompt_at) == lease_until)
        .values(
            next_prompt_at=retry_at,
            unanswered_prompts=case(
                (col(Incident.unanswered_prompts) > 0, col(Incident.unanswered_prompts) - 1),
                else_=0,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def start_clock(
    session: AsyncSession, incident_id: int, *, now: datetime, interval_seconds: int
) -> Incident:
    """Declared or reopened: the first reminder one interval from now, nothing unanswered."""
    incident = await _incident(session, incident_id)
    incident.next_prompt_at = now + timedelta(seconds=interval_seconds)
    incident.unanswered_prompts = 0
    incident.updated_at = utcnow()
    session.add(incident)
    await session.flush()
    return incident


async def stop_clock(session: AsyncSession, incident_id: int) -> Incident:
    """Resolved: no more reminders until it is reopened."""
    incident = await _incident(session, incident_id)
    incident.next_prompt_at = None
    incident.unanswered_prompts = 0
    incident.updated_at = utcnow()
    session.add(incident)
    await session.flush()
    return incident


async def restart_clock(
    session: AsyncSession, incident_id: int, *, updated_at: datetime, next_due: datetime
) -> Incident:
    """A status update was posted: next prompt one interval on, nothing unanswered."""
    incident = await _incident(session, incident_id)
    incident.last_update_at = updated_at
    incident.next_prompt_at = next_due
    incident.unanswered_prompts = 0
    incident.updated_at = utcnow()
    session.add(incident)
    await session.flush()
    return incident


async def set_next_prompt(
    session: AsyncSession,
    incident_id: int,
    *,
    expected: datetime | None,
    next_due: datetime,
    **values: object,
) -> Incident | None:
    """Move the clock from `expected` to `next_due` (plus other columns); None if it moved."""
    stmt = (
        update(Incident)
        .where(col(Incident.id) == incident_id)
        .where(
            col(Incident.next_prompt_at) == expected
            if expected is not None
            else col(Incident.next_prompt_at).is_(None)
        )
        .values(next_prompt_at=next_due, updated_at=utcnow(), **values)
        .returning(Incident)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return (await session.exec(stmt)).scalars().first()


async def get_prompt(session: AsyncSession, prompt_id: int) -> UpdatePrompt | None:
    return await session.get(UpdatePrompt, prompt_id)


async def latest_prompt(session: AsyncSession, incident_id: int) -> UpdatePrompt | None:
    """The last prompt that reached the channel."""
    stmt = (
        select(UpdatePrompt)
        .where(UpdatePrompt.incident_id == incident_id)
        .where(col(UpdatePrompt.sent_at).is_not(None))
        .order_by(col(UpdatePrompt.due_at).desc(), col(UpdatePrompt.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def record_snooze(
    session: AsyncSession, prompt_id: int, user_id: str, until: datetime
) -> UpdatePrompt:
    prompt = await session.get(UpdatePrompt, prompt_id)
    if prompt is None:
        raise LookupError(f"update prompt {prompt_id} not found")
    prompt.snoozed_by = user_id
    prompt.snoozed_until = until
    session.add(prompt)
    await session.flush()
    return prompt


async def prompts_for(session: AsyncSession, incident_id: int) -> list[UpdatePrompt]:
    stmt = (
        select(UpdatePrompt)
        .where(UpdatePrompt.incident_id == incident_id)
        .order_by(col(UpdatePrompt.due_at))
    )
    return list((await session.exec(stmt)).all())


async def _incident(session: AsyncSession, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"incident {incident_id} not found")
    return incident
