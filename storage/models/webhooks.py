"""Tracker webhook deliveries already acted on (issue 23)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class WebhookDelivery(SQLModel, table=True):
    """A tracker delivery that changed an action item, by its delivery id and by the digest
    of its signed body: the same delivery sent again, to any replica, does nothing."""

    __tablename__ = "webhook_delivery"

    source: str = Field(primary_key=True, max_length=16)  # github, jira
    key: str = Field(primary_key=True, max_length=128)  # id:<delivery id> | body:<sha256>
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
