"""Tables of the response's aids (issue 11): checklist items, where the checklist is posted,
runbook links. Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ChecklistItem(SQLModel, table=True):
    """One checklist item of an incident: from CHECKLISTS_FILE at declare, or added during it.

    Ticking is a conditional UPDATE (`done_at IS NULL`), so two replicas handling the same
    tick record it once.
    """

    __tablename__ = "checklist_item"
    __table_args__ = (Index("ix_checklist_item_incident", "incident_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    checklist: str = Field(sa_column=Column(Text, nullable=False))  # the checklist's name
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    added_by: str | None = Field(default=None, max_length=32)  # None: from the file
    done_by: str | None = Field(default=None, max_length=32)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IncidentRunbook(SQLModel, table=True):
    """A runbook linked on the card (`/incident runbook`, or an alert's runbook_url)."""

    __tablename__ = "incident_runbook"
    __table_args__ = (UniqueConstraint("incident_id", "url", name="uq_incident_runbook"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    title: str | None = Field(default=None, sa_column=Column(Text))
    added_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IncidentChecklistMessage(SQLModel, table=True):
    """Where an incident's checklist is posted, so ticks and additions can redraw it."""

    __tablename__ = "incident_checklist_message"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    channel_id: str = Field(max_length=32)
    ts: str | None = Field(default=None, max_length=32)
