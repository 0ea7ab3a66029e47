"""The public status page's tables (bot/status): what was published, and nothing else.
Re-exported by storage.models; every change needs a migration.

A public incident belongs to one incident (its public id is what readers see, never ours);
each publication adds a public update, with the states it gave each component (`affected`,
JSON). `component_state` is each component's current public state (a row once published;
none: operational). `status_snapshot` keeps each rendered page and JSON document, written at
each publication, so the page is served while the database is unreachable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

PUBLIC_STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)


class PublicIncident(SQLModel, table=True):
    __tablename__ = "public_incident"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=16, unique=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    name: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)  # PUBLIC_STATUSES
    impact: str = Field(default="none", max_length=16)  # none, minor, major, critical
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    monitoring_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Its incident on Atlassian Statuspage, once the sync created it (storage/models/statuspage.py).
    statuspage_id: str | None = Field(default=None, max_length=40)


class PublicUpdate(SQLModel, table=True):
    __tablename__ = "public_update"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=16, unique=True)
    public_incident_id: int = Field(foreign_key="public_incident.id", index=True)
    status: str = Field(max_length=16)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # [{"name": "API", "old_status": "operational", "new_status": "partial_outage"}, ...]
    affected: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ComponentState(SQLModel, table=True):
    __tablename__ = "component_state"

    name: str = Field(primary_key=True, max_length=80)  # lower case, as configured
    status: str = Field(max_length=32)  # COMPONENT_STATES
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StatusSnapshot(SQLModel, table=True):
    __tablename__ = "status_snapshot"

    path: str = Field(primary_key=True, max_length=200)  # e.g. /status/api/v2/summary.json
    content_type: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    etag: str = Field(max_length=80)
    fingerprint: str = Field(max_length=64)  # of the status_page section it was rendered with
    rendered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
