"""Scheduled maintenance on the public status page (bot/status/maintenance*.py). Re-exported by
storage.models; every change needs a migration.

A row is due twice: at `scheduled_for` it goes from `scheduled` to `in_progress` (its
components under maintenance), at `scheduled_until` to `completed` (back to operational).
Each step is one conditional UPDATE on `status`, so exactly one replica takes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

MAINTENANCE_STATUSES = ("scheduled", "in_progress", "completed")


class StatusMaintenance(SQLModel, table=True):
    __tablename__ = "status_maintenance"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=16, unique=True)
    name: str = Field(sa_column=Column(Text, nullable=False))
    components: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON names
    status: str = Field(default="scheduled", max_length=16, index=True)
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    scheduled_until: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_by: str | None = Field(default=None, max_length=80)  # the replica that started it
    completed_by: str | None = Field(default=None, max_length=80)
