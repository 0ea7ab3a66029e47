"""Follow-through tables (issue 12): action items' ticket outbox and the nudges and digests
sent once. Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# ---- Follow-through (issue 12): tickets, verification, waivers, nudges ----------------------
# Action items gain these columns (migration 0005), declared on ActionItem
# (storage/models/postmortem.py):
# criteria, prevention_class, verification, verified_by, verified_at, ticket_url,
# waived_by, waived_at, waived_reason, snoozed_until.


class ActionTicket(SQLModel, table=True):
    """The outbox row of an action item's ticket: written with the item (or by
    `/postmortem ticket`), claimed by one sender at a time, filed exactly once.

    `next_attempt_at` is both the retry time and the claim's lease: a sender claims a
    pending row by moving it forward in a conditional UPDATE; if the sender dies, the row
    falls due again when the lease ends.
    """

    __tablename__ = "action_ticket"
    __table_args__ = (
        UniqueConstraint("action_item_id", name="uq_action_ticket_item"),
        Index("ix_action_ticket_due", "state", "next_attempt_at"),
        Index("ix_action_ticket_external", "provider", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_item_id: int = Field(foreign_key="action_item.id")
    incident_id: int = Field(foreign_key="incident.id", index=True)
    provider: str = Field(max_length=8)  # github|jira
    state: str = Field(default="pending", max_length=8)  # pending|filed|refused
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, max_length=64)  # issue number / Jira key
    url: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FollowthroughSend(SQLModel, table=True):
    """One nudge (per owner per local day) or digest (per week), claimed before it is sent.

    The unique (kind, key) makes the claim: whoever inserts it sends it. A claim whose
    sender died before recording `sent_at` may be taken over once `lease_until` passes.
    """

    __tablename__ = "followthrough_send"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_followthrough_send"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # nudge|p0|digest
    key: str = Field(max_length=96)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
