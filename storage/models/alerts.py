"""Alert tables (issue 10): alert groups, their alerts and the pages sent through PagerDuty.
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class AlertGroup(SQLModel, table=True):
    """An alert group (Alertmanager's groupKey, or a PagerDuty incident): one card, at most one
    incident, ever. Its Slack work is an outbox: each webhook bumps `version`, and whoever
    claims the group (a conditional UPDATE on `lease_until`) brings Slack up to that version."""

    __tablename__ = "alert_group"
    __table_args__ = (
        UniqueConstraint("source", "key_hash", name="uq_alert_group_key"),
        Index("ix_alert_group_pending", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)  # alertmanager|pagerduty
    key_hash: str = Field(max_length=64)  # sha256 of group_key: keys can be long
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    severity: str = Field(max_length=8)
    auto_declare: bool = Field(default=False)
    status: str = Field(default="firing", max_length=16)  # firing|resolved
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    description: str | None = Field(default=None, sa_column=Column(Text))
    links: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON [[label, url]]
    # The alert's `promql` annotation, when its sender put the expression there (bot/metrics).
    promql: str | None = Field(default=None, sa_column=Column(Text))
    first_starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deliveries: int = Field(default=0)
    # Alerts of the last send not stored: the group already held ALERT_MAX_PER_GROUP.
    alerts_left_out: int = Field(default=0)
    version: int = Field(default=0)
    handled_version: int = Field(default=0)
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    card_channel_id: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)
    # Listed on the alert storm card (card_ts is that card's) instead of declaring by itself:
    # it came over ALERT_DECLARES_PER_MINUTE (bot/alerts/storm.py).
    storm_card: bool = Field(default=False)
    resolved_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Alert(SQLModel, table=True):
    """One alert of a group, by fingerprint, with its own start and end times."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("group_id", "fingerprint", name="uq_alert_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_group.id", index=True)
    fingerprint: str = Field(max_length=64)
    status: str = Field(max_length=16)  # firing|resolved
    name: str = Field(sa_column=Column(Text, nullable=False))
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    firing_entry_id: int | None = Field(default=None)
    resolved_entry_id: int | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PageEvent(SQLModel, table=True):
    """An Events API v2 event to send (a page, or its resolve): stored before it is sent,
    claimed atomically (`lease_until`) so one replica sends it, retried until `due_at`."""

    __tablename__ = "page_event"
    __table_args__ = (Index("ix_page_event_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    service: str = Field(max_length=64)
    event_action: str = Field(max_length=8)  # trigger|resolve
    dedup_key: str = Field(max_length=255)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    severity: str = Field(max_length=16)  # critical|error|warning|info
    requested_by: str | None = Field(default=None, max_length=32)
    state: str = Field(default="pending", max_length=8)  # pending|sent|failed
    attempts: int = Field(default=0)
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    resolve_event_id: int | None = Field(default=None)  # a trigger's resolve, once enqueued
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
