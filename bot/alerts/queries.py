"""Queries behind alert intake: one row per alert group and per alert, exactly once.

A webhook is one transaction: upsert the group on its unique (source, key_hash), upsert its
alerts on (group_id, fingerprint), and bump the group's `version`. Two replicas receiving
the same send both land on the same rows. Slack work is then owed while
`version > handled_version`; whoever claims the group (a conditional UPDATE of `lease_until`)
does it, so one card and at most one incident are ever made per group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, false, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.alerts.intake import ParsedAlert, ParsedGroup
from storage.models.alerts import Alert, AlertGroup
from storage.tables import table_of
from storage.types import utcnow

GROUP = table_of(AlertGroup)
ALERT = table_of(Alert)


GROUP_COLUMNS = (
    "source", "key_hash", "group_key", "title", "severity", "auto_declare", "status", "labels",
    "description", "links", "promql", "first_starts_at", "deliveries", "version", "handled_version",
    "attempts", "created_at", "updated_at",
)  # fmt: skip
ALERT_COLUMNS = (
    "group_id", "fingerprint", "status", "name", "labels", "starts_at", "ends_at", "updated_at",
)  # fmt: skip


def _params(table: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: bindparam(c, type_=table.c[c].type) for c in columns}


@lru_cache(maxsize=2)
def _group_upsert(dialect: str) -> Any:
    """Upsert of a group on (source, key_hash), built once per dialect from bind parameters
    so it is compiled once: in an alert storm, building and compiling it per webhook would
    cost more than running it."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(GROUP).values(_params(GROUP, GROUP_COLUMNS))
    c, new = GROUP.c, stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[c.source, c.key_hash],
        set_={
            "title": new.title,
            "severity": new.severity,
            "auto_declare": new.auto_declare,
            "labels": new.labels,
            "description": new.description,
            # The first send's links stay: a later one (another sender holding the token, or
            # a rule that changed) cannot point the card's Runbook or Source somewhere else.
            "links": case((c.links == "[]", new.links), else_=c.links),
            "promql": case((c.promql.is_(None), new.promql), else_=c.promql),
            "first_starts_at": case(
                (c.first_starts_at <= new.first_starts_at, c.first_starts_at),
                else_=new.first_starts_at,
            ),
            "deliveries": c.deliveries + 1,
            "version": c.version + 1,
            "updated_at": new.updated_at,
        },
    ).returning(c.id)


@lru_cache(maxsize=4)
def _alert_upsert(dialect: str, refires: bool) -> Any:
    """Upsert of an alert on (group_id, fingerprint); run with one parameter set per alert.

    A later startsAt is the alert firing again: a new occurrence, with new timeline entries.
    The same startsAt never goes back from resolved to firing (a send that arrives late).
    A PagerDuty incident never fires again (a new one has a new id); its events' times are
    when each happened, so the earliest is kept as its start.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ALERT).values(_params(ALERT, ALERT_COLUMNS))
    c, new = ALERT.c, stmt.excluded
    refired = new.starts_at > c.starts_at if refires else false()
    return stmt.on_conflict_do_update(
        index_elements=[c.group_id, c.fingerprint],
        set_={
            "status": case(
                (refired, new.status), (c.status == "resolved", c.status), else_=new.status
            ),
            "ends_at": case(
                (refired, new.ends_at), (c.status == "resolved", c.ends_at), else_=new.ends_at
            ),
            "starts_at": case(
                (refired, new.starts_at),
                (new.starts_at < c.starts_at, new.starts_at),
                else_=c.starts_at,
            ),
            "firing_entry_id": case((refired, None), else_=c.firing_entry_id),
            "resolved_entry_id": case((refired, None), else_=c.resolved_entry_id),
            "name": new.name,
            "labels": new.labels,
            "updated_at": new.updated_at,
        },
    )


@lru_cache(maxsize=1)
def _status_update() -> Any:
    """The group is firing while any of its alerts is; its last end is its alerts' last."""
    a = ALERT.c
    group_id = bindparam("group_id", type_=GROUP.c.id.type)
    firing = exists().where(and_(a.group_id == group_id, a.status == "firing"))
    last_end = (
        core_select(func.max(a.ends_at))
        .where(and_(a.group_id == group_id, a.status == "resolved"))
        .scalar_subquery()
    )
    return (
        update(GROUP)
        .where(GROUP.c.id == group_id)
        .values(
            status=case((firing, "firing"), else_="resolved"),
            last_ends_at=last_end,
            alerts_left_out=bindparam("left_out", type_=GROUP.c.alerts_left_out.type),
        )
    )


async def _within_cap(
    conn: AsyncConnection, group_id: int, alerts: list[ParsedAlert], cap: int
) -> list[ParsedAlert]:
    """The alerts of this send that the group may hold: those it already has, and new ones
    while it holds fewer than `cap`. A flood of new fingerprints stores at most `cap` rows
    (and so at most 2 x `cap` timeline entries), however often it is resent."""
    held = int(
        (
            await conn.execute(
                core_select(func.count()).select_from(ALERT).where(ALERT.c.group_id == group_id)
            )
        ).scalar_one()
    )
    if held + len(alerts) <= cap:
        return alerts
    known = {
        row[0]
        for row in await conn.execute(
            core_select(ALERT.c.fingerprint).where(ALERT.c.group_id == group_id)
        )
    }  # at most `cap` of them
    room = max(0, cap - held)
    kept: list[ParsedAlert] = []
    for alert in alerts:
        if alert.fingerprint in known:
            kept.append(alert)
        elif room > 0:
            kept.append(alert)
            room -= 1
    return kept


async def store_group(conn: AsyncConnection, parsed: ParsedGroup, cap: int = 300) -> int:
    """Record one webhook send (in the caller's transaction); return the group's id.
    Idempotent apart from the counters. Core statements: this is the hot path of a storm.
    The group holds at most `cap` alerts (ALERT_MAX_PER_GROUP); the rest are counted."""
    dialect = conn.dialect.name
    now = utcnow()
    values = {
        "source": parsed.source,
        "key_hash": parsed.key_hash,
        "group_key": parsed.group_key,
        "title": parsed.title,
        "severity": parsed.severity,
        "auto_declare": parsed.auto_declare,
        "status": "firing",
        "labels": json.dumps(parsed.labels),
        "description": parsed.description,
        "links": json.dumps(parsed.links),
        "promql": parsed.promql,
        "first_starts_at": min(a.starts_at for a in parsed.alerts),
        "deliveries": 1,
        "version": 1,
        "handled_version": 0,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    group_id = int((await conn.execute(_group_upsert(dialect), values)).scalar_one())
    kept = await _within_cap(conn, group_id, parsed.alerts, cap)
    rows = [
        {
            "group_id": group_id,
            "fingerprint": a.fingerprint,
            "status": a.status,
            "name": a.name,
            "labels": json.dumps(a.labels),
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "updated_at": now,
        }
        for a in kept
    ]
    if rows:
        await conn.execute(_alert_upsert(dialect, parsed.source == "alertmanager"), rows)
    left_out = len(parsed.alerts) - len(kept)
    await conn.execute(_status_update(), {"group_id": group_id, "left_out": left_out})
    return group_id


async def claim_groups(
    session: AsyncSession, group_ids: list[int], instance: str, lease: timedelta
) -> dict[int, int]:
    """Take the pending Slack work of these groups: {group id: the version to bring Slack to}
    for those claimed; the others have none, or someone else holds them, or wait for a retry."""
    if not group_ids:
        return {}
    now = utcnow()
    c = GROUP.c
    stmt = (
        update(GROUP)
        .where(c.id.in_(group_ids))
        .where(c.version > c.handled_version)
        .where(or_(c.lease_until.is_(None), c.lease_until <= now))
        .values(claimed_by=instance, lease_until=now + lease)
        .returning(c.id, c.version)
    )
    return {int(r[0]): int(r[1]) for r in (await session.exec(stmt)).all()}


async def finish_group(session: AsyncSession, group_id: int, instance: str, version: int) -> bool:
    """Slack is up to `version`; True if more came meanwhile (claim it again)."""
    c = GROUP.c
    stmt = (
        update(GROUP)
        .where(c.id == group_id, c.claimed_by == instance)
        .values(handled_version=version, attempts=0, claimed_by=None, lease_until=None)
        .returning(c.version)
    )
    row = (await session.exec(stmt)).first()
    return row is not None and int(row[0]) > version


async def retry_group_later(
    session: AsyncSession, group_id: int, instance: str, attempts: int, max_backoff: float
) -> float:
    """Give the claim back, due again after a backoff that grows with each failure."""
    backoff = min(max_backoff, 2.0**attempts)
    c = GROUP.c
    await session.exec(
        update(GROUP)
        .where(c.id == group_id, c.claimed_by == instance)
        .values(
            attempts=c.attempts + 1,
            claimed_by=None,
            lease_until=utcnow() + timedelta(seconds=backoff),
        )
    )
    return backoff


async def pending_groups(session: AsyncSession, limit: int = 100) -> list[int]:
    """Groups owing Slack work that nobody holds (missed, retried, or left by a crash)."""
    now = utcnow()
    c = GROUP.c
    stmt = (
        select(c.id)
        .where(c.version > c.handled_version)
        .where(or_(c.lease_until.is_(None), c.lease_until <= now))
        .order_by(c.id)
        .limit(limit)
    )
    return [int(group_id) for group_id in (await session.exec(stmt)).all()]


async def bump_group(session: AsyncSession, group_id: int) -> None:
    """Owe the group's Slack work again (it was linked to an incident, say)."""
    await session.exec(
        update(GROUP).where(GROUP.c.id == group_id).values(version=GROUP.c.version + 1)
    )


class AlreadyLinked(Exception):
    def __init__(self, incident_id: int | None) -> None:
        super().__init__(f"the alert group is already incident #{incident_id}")
        self.incident_id = incident_id


async def link_incident(session: AsyncSession, group_id: int, incident_id: int) -> None:
    """Link the group to an incident, only if it has none: raises AlreadyLinked otherwise."""
    c = GROUP.c
    result = await session.exec(
        update(GROUP)
        .where(c.id == group_id, c.incident_id.is_(None))
        .values(incident_id=incident_id, version=c.version + 1)
    )
    if result.rowcount != 1:
        linked = (await session.exec(select(c.incident_id).where(c.id == group_id))).first()
        raise AlreadyLinked(linked)


@dataclass
class GroupState:
    group: AlertGroup
    alerts: list[Alert]

    @property
    def labels(self) -> dict[str, str]:
        return dict(json.loads(self.group.labels or "{}"))

    @property
    def links(self) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in json.loads(self.group.links or "[]")]


async def load_group(session: AsyncSession, group_id: int) -> GroupState | None:
    return (await load_groups(session, [group_id])).get(group_id)


async def load_groups(session: AsyncSession, group_ids: list[int]) -> dict[int, GroupState]:
    if not group_ids:
        return {}
    found = (await session.exec(select(AlertGroup).where(col(AlertGroup.id).in_(group_ids)))).all()
    states = {g.id or 0: GroupState(g, []) for g in found}
    stmt = (
        select(Alert)
        .where(col(Alert.group_id).in_(list(states)))
        .order_by(col(Alert.starts_at), col(Alert.id))
    )
    for alert in (await session.exec(stmt)).all():
        states[alert.group_id].alerts.append(alert)
    return states


async def incident_groups(session: AsyncSession, incident_id: int) -> list[GroupState]:
    """The alert groups linked to an incident, oldest first, each with its alerts."""
    stmt = (
        select(GROUP.c.id)
        .where(GROUP.c.incident_id == incident_id)
        .order_by(GROUP.c.created_at, GROUP.c.id)
    )
    ids = [int(i) for i in (await session.exec(stmt)).all()]
    states = await load_groups(session, ids)
    return [states[i] for i in ids if i in states]


async def lock_group(session: AsyncSession, group_id: int) -> None:
    """Lock the group's row first (PostgreSQL), as a webhook's upsert does before it touches
    the group's alerts: taking them in the other order could deadlock with it."""
    await session.exec(select(GROUP.c.id).where(GROUP.c.id == group_id).with_for_update())


async def set_card(session: AsyncSession, group_id: int, channel_id: str, ts: str) -> None:
    await session.exec(
        update(GROUP).where(GROUP.c.id == group_id).values(card_channel_id=channel_id, card_ts=ts)
    )


async def set_resolved_notice(session: AsyncSession, group_id: int, at: datetime) -> None:
    await session.exec(update(GROUP).where(GROUP.c.id == group_id).values(resolved_notice_at=at))


async def set_alert_entries(
    session: AsyncSession, alert_id: int, *, firing: int | None = None, resolved: int | None = None
) -> None:
    values: dict[str, int] = {}
    if firing is not None:
        values["firing_entry_id"] = firing
    if resolved is not None:
        values["resolved_entry_id"] = resolved
    if values:
        await session.exec(update(ALERT).where(ALERT.c.id == alert_id).values(**values))
