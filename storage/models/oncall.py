"""On-call tables: overrides of a schedule's rotation. Re-exported by storage.models; every
change needs a migration.

The schedules themselves are in the configuration file (bot/oncall/config.py); only what
people change at run time is stored. A removed override keeps its row (`removed_at`,
`removed_by`): every change stays on record, who made it and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

OVERRIDE_KINDS = ("override", "take", "swap")


class OncallOverride(SQLModel, table=True):
    """`user_id` is on call for `schedule` from `start_at` to `end_at` (UTC), whatever the
    layers say. Where two overlap, the newer (higher id) wins."""

    __tablename__ = "oncall_override"
    # Who is on call now reads the rows not yet ended: end_at first.
    __table_args__ = (Index("ix_oncall_override_schedule_end", "schedule", "end_at"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=80)  # the schedule's name in the configuration file
    user_id: str = Field(max_length=32)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(default="override", max_length=16)  # OVERRIDE_KINDS
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=200)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: str | None = Field(default=None, max_length=32)


class OncallNightNudge(SQLModel, table=True):
    """The nights nudge (bot/oncall/nights.py): one per person per ISO week (`2026-W50`) they
    were paged outside their working hours on two nights or more. The unique key makes it
    once a week; it is held until `due_at`, the start of the person's next working window,
    and then claimed by a conditional update (`lease_until`), so replicas send it once and a
    claim whose sender died is taken over after the lease. `nights` (ISO dates, comma
    separated) and `schedules` (a JSON list) are what it says, kept up to date until sent."""

    __tablename__ = "oncall_night_nudge"
    __table_args__ = (UniqueConstraint("user_id", "week", name="uq_oncall_night_nudge"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=32)
    week: str = Field(max_length=10)
    claimed_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)  # None: now
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    nights: str = Field(default="", max_length=80)
    schedules: str = Field(default="[]", max_length=1000)


SWAP_STATES = ("pending", "accepted", "declined", "cancelled", "undelivered")


class OncallSwapRequest(SQLModel, table=True):
    """`requester_id` asks `target_id` to take their shifts of `schedule` between `day_start`
    and `day_end` (one day in the requester's zone, UTC here). Nothing changes until the
    target accepts; the state moves from pending exactly once (a conditional update), so a
    second press of Accept writes no second override. The requester may withdraw it while
    pending (`cancelled`); `undelivered` is one whose DM could not be sent. Past `day_end` it
    has expired."""

    __tablename__ = "oncall_swap_request"

    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=80)
    requester_id: str = Field(max_length=32)
    target_id: str = Field(max_length=32)
    day_start: datetime = Field(sa_type=UTCDateTime)
    day_end: datetime = Field(sa_type=UTCDateTime)
    day_label: str = Field(max_length=40)  # the day as the requester wrote it, resolved
    state: str = Field(default="pending", max_length=16)  # SWAP_STATES
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dm_channel: str | None = Field(default=None, max_length=32)  # the DM with the buttons
    dm_ts: str | None = Field(default=None, max_length=32)
