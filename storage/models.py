"""The tables. Every change here needs a migration in storage/migrations/versions.

Times are UTC (see UTCDateTime). Slack identifiers (user, channel, message ts) are kept as
Slack gives them; a message is identified by its channel and ts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
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


class PostmortemItem(SQLModel, table=True):
    """Analysis captured during or after an incident: summary, impact, factors, whys, lessons."""

    __tablename__ = "postmortem_item"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=16)  # summary|impact|factor|why|well|poorly|lesson
    category: str | None = Field(default=None, max_length=16)  # for factors
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_item"
    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_action_item_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int
    priority: str = Field(max_length=2)
    owner_id: str = Field(max_length=32)
    due_date: date
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=8)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Follow-through (migration 0005): status is open|done|verified.
    criteria: str | None = Field(default=None, sa_column=Column(Text))
    prevention_class: str | None = Field(default=None, max_length=16)
    verification: str | None = Field(default=None, sa_column=Column(Text))
    verified_by: str | None = Field(default=None, max_length=32)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ticket_url: str | None = Field(default=None, sa_column=Column(Text))
    waived_by: str | None = Field(default=None, max_length=32)
    waived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    waived_reason: str | None = Field(default=None, sa_column=Column(Text))
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The other domains' tables live beside this module; imported here so `storage.models` names
# every table (the metadata, Alembic and the code's imports read it from here).
from storage.alert_models import Alert, AlertGroup, PageEvent  # noqa: E402
from storage.followthrough_models import ActionTicket, FollowthroughSend  # noqa: E402
from storage.request_models import RateCount, SeenSlackRequest  # noqa: E402
from storage.response_models import (  # noqa: E402
    ChecklistItem,
    FatigueNudge,
    HomeView,
    IncidentChecklistMessage,
    IncidentRunbook,
)
from storage.webhook_models import WebhookDelivery  # noqa: E402

__all__ = [
    "OPEN_STATUSES",
    "SEVERITIES",
    "STATUSES",
    "ActionItem",
    "ActionTicket",
    "Alert",
    "AlertGroup",
    "ChecklistItem",
    "EntryKind",
    "FatigueNudge",
    "FollowthroughSend",
    "HomeView",
    "Incident",
    "IncidentChecklistMessage",
    "IncidentRunbook",
    "PageEvent",
    "PostmortemItem",
    "RateCount",
    "SeenSlackRequest",
    "TimelineEntry",
    "TimelineMark",
    "TimelineRevision",
    "UpdatePrompt",
    "WebhookDelivery",
]
