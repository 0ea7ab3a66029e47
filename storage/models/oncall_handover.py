"""On-call handovers (bot/oncall/handover.py): one row per change of person in a schedule,
planned ahead from the rules and overrides, claimed by one replica when due (a conditional
UPDATE on `lease_until`), so each DM is sent once and a restart loses none. Re-exported by
storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

HANDOVER_STATES = ("pending", "sent", "skipped", "failed")


class OncallHandover(SQLModel, table=True):
    """At `at` (UTC) `incoming` takes over `schedule` from `outgoing` (None: after a gap).
    Members as the file writes them (a Slack user ID or an email)."""

    __tablename__ = "oncall_handover"
    __table_args__ = (
        UniqueConstraint("schedule", "at", name="uq_oncall_handover_at"),
        Index("ix_oncall_handover_due", "state", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=80)
    at: datetime = Field(sa_type=UTCDateTime)
    incoming: str = Field(max_length=320)
    outgoing: str | None = Field(default=None, max_length=320)
    state: str = Field(default="pending", max_length=8)  # HANDOVER_STATES
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    welcomed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # incoming's DM
    thanked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # outgoing's DM
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # all done
    note: str | None = Field(default=None, max_length=200)  # why skipped or failed
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
