"""Cadence tables: status-update prompts and fatigue nudges.
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class UpdatePrompt(SQLModel, table=True):
    """A status-update prompt. The unique key makes a due prompt claimable exactly once."""

    __tablename__ = "update_prompt"
    __table_args__ = (UniqueConstraint("incident_id", "due_at", name="uq_update_prompt_due"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_ts: str | None = Field(default=None, max_length=32)
    mentioned: str | None = Field(default=None, max_length=128)
    snoozed_by: str | None = Field(default=None, max_length=32)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FatigueNudge(SQLModel, table=True):
    """One fatigue nudge per person per stretch of activity in a war room.

    The unique key is the claim: whoever inserts it sends the nudge, so replicas send it once.
    """

    __tablename__ = "fatigue_nudge"
    __table_args__ = (
        UniqueConstraint("incident_id", "user_id", "stretch_start", name="uq_fatigue_nudge"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user_id: str = Field(max_length=32)
    stretch_start: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
