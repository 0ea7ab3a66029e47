"""Paging tables: an escalation (one per `/incident page` of a service with a policy) and the
DMs it sent, one row per person and step. Re-exported by storage.models; every change needs a
migration.

An escalation row is its own next step: `round`/`level` and `due_at` say what is paged next
and when (`level` -1: nobody answered, tell the commander). A replica claims a due step with a
lease (`claimed_by`, `lease_until`) by a conditional update, so two replicas page it once and
one killed mid-step leaves it to another once the lease runs out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

ESCALATION_STATUSES = ("active", "acknowledged", "exhausted", "cancelled")
NOBODY_ANSWERED = -1  # the step after the last level of the last round


class PageEscalation(SQLModel, table=True):
    __tablename__ = "page_escalation"
    __table_args__ = (Index("ix_page_escalation_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    service: str = Field(max_length=80)
    policy: str = Field(max_length=80)
    message: str = Field(default="", max_length=500)
    requested_by: str = Field(max_length=32)
    round: int = 0
    level: int = 0
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="active", max_length=16)  # ESCALATION_STATUSES
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acked_by: str | None = Field(default=None, max_length=32)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # High urgency whatever the incident's severity (`/incident page --urgent`, a critical
    # alert): never held by quiet hours (bot/paging/quiet.py).
    urgent: bool = False
    # Low urgency whatever the incident's severity (a `warning` or `info` alert): held by quiet
    # hours until someone raises the incident to SEV1 or SEV2.
    low_urgency: bool = False


class PageNotification(SQLModel, table=True):
    """A person paged at one step: stored before the DM is sent, its message kept to update
    ("acknowledged by @x") once someone acknowledges."""

    __tablename__ = "page_notification"
    __table_args__ = (
        UniqueConstraint("escalation_id", "round", "level", "user_id", name="uq_page_notification"),
    )

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="page_escalation.id", index=True)
    round: int
    level: int
    user_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When its step fell due (sent_at minus this: how late the page went; bench.paging_scale).
    step_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when Slack took it
    channel_id: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    # Quiet hours: a low-urgency page to someone outside their working hours waits until then
    # (claimed with `lease_until` once due, like a step, so a restart loses nothing).
    held_until: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


DELIVERY_WAYS = ("sms", "call")
DELIVERY_STATUSES = ("pending", "sent", "failed")


class PageDelivery(SQLModel, table=True):
    """A page by SMS or voice call (Twilio) to one person at one step: stored before Twilio is
    called, claimed with a lease (`claimed_by`, `lease_until`) so two replicas send it once and
    one killed mid-way leaves it to another. `token` is the opaque id a call's keypress comes
    back with (never the phone number, which is not stored: it is read from the file)."""

    __tablename__ = "page_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "way", name="uq_page_delivery"),
        UniqueConstraint("token", name="uq_page_delivery_token"),
        Index("ix_page_delivery_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="page_escalation.id", index=True)
    notification_id: int = Field(foreign_key="page_notification.id")
    way: str = Field(max_length=8)  # DELIVERY_WAYS
    user_id: str = Field(max_length=32)
    token: str = Field(max_length=32)
    status: str = Field(default="pending", max_length=16)  # DELIVERY_STATUSES
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sid: str | None = Field(default=None, max_length=64)  # Twilio's Message or Call SID
    error: str | None = Field(default=None, max_length=300)  # without the number
