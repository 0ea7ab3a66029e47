"""The metric beside the incident (bot/metrics): the PromQL expressions an incident watches
(from its alerts' generatorURL or `promql` annotation, or `/incident metric`), and one check
row per incident: when Prometheus is next asked (`due_at`, claimed with a lease so two
replicas ask once and a restart loses nothing) and what it said last (shown on the card).
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class IncidentMetric(SQLModel, table=True):
    __tablename__ = "incident_metric"
    __table_args__ = (UniqueConstraint("incident_id", "name", name="uq_incident_metric_name"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str = Field(max_length=32)  # m1, m2, ... or the name given
    expr: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(max_length=16)  # alert|annotation|person
    added_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MetricCheck(SQLModel, table=True):
    """The incident's next ask of Prometheus (`due_at`; None: nothing asked until the next
    reminder) and the last answer, for the card."""

    __tablename__ = "metric_check"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    why: str = Field(default="declare", max_length=16)  # declare|reminder|asked
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: str | None = Field(default=None, sa_column=Column(Text))  # the card's line
    failed: bool = Field(default=False)  # the last ask failed (said once in the war room)


class MetricWatch(SQLModel, table=True):
    """`/incident verify --watch`: the bot watches an expression until it has been quiet (no
    series) for the whole window, then records the verification itself. Its next look is
    `due_at`, claimed with a lease as checks are; it ends after at most 24 h."""

    __tablename__ = "metric_watch"
    __table_args__ = (Index("ix_metric_watch_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str = Field(max_length=32)
    expr: str = Field(sa_column=Column(Text, nullable=False))
    window_seconds: int
    requested_by: str = Field(max_length=32)
    status: str = Field(default="watching", max_length=16)  # watching|verified|expired|stopped
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    quiet_since: datetime = Field(sa_type=UTCDateTime)  # the window's start
    ends_at: datetime = Field(sa_type=UTCDateTime)  # at most 24 h after the start
    due_at: datetime = Field(sa_type=UTCDateTime)
    fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last told
    # Prometheus could not be asked since (told once in the war room, and once when back).
    away_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IncidentBudget(SQLModel, table=True):
    """The error budget of an incident's service (its SLO in CONFIG_FILE `slos`): the budget
    left when it was declared and when it was resolved (asked of Prometheus at those moments,
    kept: the postmortem's "error budget spent by this incident" and `/incident stats`), and
    the last look (the card's line). Due when `due_at` is set, claimed with a lease as checks
    are."""

    __tablename__ = "incident_budget"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    service: str = Field(max_length=80)
    objective: float
    window: str = Field(max_length=8)
    left_at_declare: float | None = None  # fraction of the budget, 1 = untouched
    left_at_resolve: float | None = None
    resolve_taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    why: str = Field(default="declare", max_length=16)  # declare|reminder|asked|resolve
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: str | None = Field(default=None, sa_column=Column(Text))  # the card's line
    failed: bool = Field(default=False)  # the last ask failed (said once in the war room)


class BudgetWaiver(SQLModel, table=True):
    """`/postmortem waive budget <reason>`: deploys of a service whose error budget is spent
    go ahead anyway, until the gate sees the budget recovered (`ended_at`)."""

    __tablename__ = "budget_waiver"

    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(max_length=80, index=True)
    incident_id: int = Field(foreign_key="incident.id")
    waived_by: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    waived_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
