"""Postmortem tables: the analysis items and the action items (follow-through columns included).
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class PostmortemItem(SQLModel, table=True):
    """Analysis captured during or after an incident: summary, impact, factors, whys, lessons."""

    __tablename__ = "postmortem_item"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=16)  # summary|impact|factor|why|well|poorly|lesson
    category: str | None = Field(default=None, max_length=16)  # for factors
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_item"
    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_action_item_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int
    priority: str = Field(max_length=2)
    owner_id: str = Field(max_length=32)
    due_date: date
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=8)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Follow-through (migration 0005): status is open|done|verified.
    criteria: str | None = Field(default=None, sa_column=Column(Text))
    prevention_class: str | None = Field(default=None, max_length=16)
    verification: str | None = Field(default=None, sa_column=Column(Text))
    verified_by: str | None = Field(default=None, max_length=32)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ticket_url: str | None = Field(default=None, sa_column=Column(Text))
    waived_by: str | None = Field(default=None, max_length=32)
    waived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    waived_reason: str | None = Field(default=None, sa_column=Column(Text))
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
