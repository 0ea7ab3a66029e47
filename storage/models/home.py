"""App Home: who opened it and when their view was last published.
Re-exported by storage.models; every change needs a migration."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class HomeView(SQLModel, table=True):
    """Who opened App Home, and when their view was last published (at most once a minute)."""

    __tablename__ = "home_view"

    user_id: str = Field(max_length=32, primary_key=True)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest: str | None = Field(default=None, max_length=64)
