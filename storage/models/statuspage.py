"""The Statuspage sync's outbox (bot/status/statuspage_outbox.py). Re-exported by
storage.models; every change needs a migration.

One row per publication, written in the publication's own transaction: what to send
(`payload`, the Statuspage `incident` object as JSON), claimed by one replica at a time with a
lease, then settled `sent` or `failed` (a refusal, with why). Rows of one public incident go
in order: a row is due only when no earlier row of its incident is still pending, so the
PATCH waits for the POST that creates the incident. The Statuspage id that POST returned is
kept on the public incident (`public_incident.statuspage_id`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

SYNC_STATUSES = ("pending", "sent", "failed")


class StatuspageSync(SQLModel, table=True):
    __tablename__ = "statuspage_sync"

    id: int | None = Field(default=None, primary_key=True)
    public_incident_id: int = Field(foreign_key="public_incident.id", index=True)
    public_update_id: int = Field(foreign_key="public_update.id", unique=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # {"name", "status", ...}
    status: str = Field(default="pending", max_length=16, index=True)  # SYNC_STATUSES
    attempts: int = Field(default=0)
    # A create may have reached Statuspage without us knowing (no answer, or a claimer that
    # died mid-request): the next try looks for it before creating it again.
    unsure: bool = Field(default=False)
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    method: str | None = Field(default=None, max_length=8)  # POST or PATCH, once sent
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
