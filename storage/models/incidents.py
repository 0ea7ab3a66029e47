"""The incident: one row per incident, its state, roles, cadence and card.

Times are UTC (see UTCDateTime). Slack identifiers (user, channel, message ts) are kept as
Slack gives them; a message is identified by its channel and ts.
Re-exported by storage.models; every change needs a migration in storage/migrations/versions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
OPEN_STATUSES = ("investigating", "identified", "mitigated", "monitoring")
STATUSES = (*OPEN_STATUSES, "resolved")


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_next_prompt_at", "next_prompt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    severity: str = Field(max_length=8)
    status: str = Field(default="investigating", max_length=16)
    private: bool = Field(default=False)
    team_id: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32, index=True)
    channel_name: str | None = Field(default=None, max_length=80)
    declared_in_channel_id: str | None = Field(default=None, max_length=32)
    declared_by: str = Field(max_length=32)
    commander_id: str = Field(max_length=32)
    communicator_id: str | None = Field(default=None, max_length=32)
    declared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    mitigated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_summary: str | None = Field(default=None, sa_column=Column(Text))
    card_ts: str | None = Field(default=None, max_length=32)
    announcement_channel_id: str | None = Field(default=None, max_length=32)
    announcement_ts: str | None = Field(default=None, max_length=32)
    # Status-update cadence: the database, not the scheduler, holds when the next prompt is due.
    update_interval_seconds: int | None = Field(default=None)
    last_update_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_prompt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unanswered_prompts: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paged: str | None = Field(default=None, sa_column=Column(Text))  # who was paged, for the card
    # Slack's failure modes (migration 0009): None while the bot can post to its war room,
    # else why not: "archived" or "removed" (the bot was taken out of the channel), and since.
    war_room_state: str | None = Field(default=None, max_length=16)
    war_room_state_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Learning across incidents (bot/learning): a game day, tags, similar past incidents on
    # the card (JSON list, computed when declared), and where the postmortem was published.
    drill: bool = Field(default=False)
    tags: str | None = Field(default=None, sa_column=Column(Text))  # slugs, space-separated
    similar: str | None = Field(default=None, sa_column=Column(Text))
    postmortem_final_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_channel_id: str | None = Field(default=None, max_length=32)
    published_ts: str | None = Field(default=None, max_length=32)
    # The service it is about (migration 0015): `--service` on declare, or the alert's
    # `service` label; the card shows who is on call for it (bot/oncall/card.py).
    service: str | None = Field(default=None, max_length=80)
