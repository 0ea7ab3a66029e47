"""The timeline: what happened in an incident, earlier texts of edited entries, key-event marks.
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class EntryKind(StrEnum):
    """What a timeline entry is: the values of `timeline_entry.kind`, in one place."""

    # Said in the war room, captured from Slack
    MESSAGE = "message"
    THREAD_REPLY = "thread_reply"
    THREAD_BROADCAST = "thread_broadcast"  # a thread reply also sent to the channel
    FILE_SHARE = "file_share"
    BOT_MESSAGE = "bot_message"  # another bot or integration
    # Added by people through the bot
    NOTE = "note"
    LOG = "log"  # backdated: something that happened outside Slack
    STATUS_UPDATE = "status_update"
    # The bot's record of what it did and what people changed
    STATUS_CHANGE = "status_change"
    SEVERITY_CHANGE = "severity_change"
    ROLE_CHANGE = "role_change"
    HANDOFF = "handoff"
    PROMPT = "prompt"  # a status-update reminder
    SNOOZE = "snooze"
    CADENCE_CHANGE = "cadence_change"
    BOT_ACTION = "bot_action"
    # Follow-through on action items
    TICKET = "ticket"  # an action item filed in the issue tracker
    ACTION_ITEM = "action_item"  # done, verified, reopened, waived, or synced from a tracker
    # Detection and escalation
    ALERT = "alert"  # an alert firing or resolving, at the alert's own time
    PAGE = "page"  # someone paged through PagerDuty
    # Process (issue 11): how we know it is fixed, checklists, runbooks, shortcuts
    VERIFICATION = "verification"  # `/incident verify`: how we know the fix worked
    CHECKLIST = "checklist"  # an item ticked, unticked or added
    RUNBOOK = "runbook"  # a runbook linked on the card
    COPIED = "copied_message"  # a message copied in with the add_to_timeline shortcut
    # Slack's failure modes: the war room archived, unarchived, renamed, the bot removed/back
    WAR_ROOM = "war_room"


class TimelineEntry(SQLModel, table=True):
    """One thing that happened: a Slack message, a note, a backdated log line or a bot action."""

    __tablename__ = "timeline_entry"
    __table_args__ = (
        UniqueConstraint("channel_id", "ts", name="uq_timeline_entry_channel_ts"),
        Index("ix_timeline_entry_incident_order", "incident_id", "occurred_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=24)
    channel_id: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    author_id: str | None = Field(default=None, max_length=32)
    author_name: str | None = Field(default=None, sa_column=Column(Text))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    files: str | None = Field(default=None, sa_column=Column(Text))  # JSON list of file facts
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: str | None = Field(default=None, max_length=32)
    key_event: bool = Field(default=False)
    event_id: str | None = Field(default=None, max_length=64)
    permalink: str | None = Field(default=None, sa_column=Column(Text))  # copied messages (0008)
    # Migration 0009. Deleted while the bot was away: found missing when history was re-read.
    deleted_while_away: bool | None = Field(default=None)
    # Said by someone from another organisation (Slack Connect).
    external: bool | None = Field(default=None)


class TimelineRevision(SQLModel, table=True):
    """An earlier text of an edited entry, kept so edits never rewrite history."""

    __tablename__ = "timeline_revision"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="timeline_entry.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    replaced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TimelineMark(SQLModel, table=True):
    """Why a message is a key event: someone's key-event reaction on it, or a pin.

    Kept by channel and message ts, not by entry, so a reaction that arrives before the
    message it marks (retries can reorder deliveries) still counts once the message is stored.
    An entry is a key event while it has at least one mark.
    """

    __tablename__ = "timeline_mark"
    __table_args__ = (
        UniqueConstraint("channel_id", "message_ts", "source", "user_id", name="uq_timeline_mark"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32)
    message_ts: str = Field(max_length=32)
    source: str = Field(max_length=16)  # reaction|pin
    user_id: str = Field(default="", max_length=32)  # who reacted; "" for a pin
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
