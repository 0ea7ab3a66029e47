"""Request bookkeeping (issue 17): signed Slack requests already run, per-person rate counts.
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class SeenSlackRequest(SQLModel, table=True):
    """A signed Slack request (slash command or interaction) already run, kept for Slack's
    5-minute replay window: the same request replayed, to any replica, runs once."""

    __tablename__ = "seen_slack_request"

    key: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class RateCount(SQLModel, table=True):
    """How many actions of a kind (`declare`, `change`) one person took in one minute."""

    __tablename__ = "rate_count"

    user_id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=16)
    minute: int = Field(primary_key=True)  # Unix time // 60
    count: int = Field(default=0)
