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
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
