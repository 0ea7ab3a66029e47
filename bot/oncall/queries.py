"""Reading overrides (storage/models/oncall.py) as the engine takes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.oncall.rules import Override
from storage.models.oncall import OncallOverride


async def overrides_between(
    session: AsyncSession, start: datetime, end: datetime, schedules: Sequence[str] | None = None
) -> dict[str, list[Override]]:
    """The overrides in force at some time in [start, end), by schedule name (lower case);
    removed ones left out. Reads only rows that end after `start` (an index), so years of
    past overrides cost nothing."""
    stmt = select(OncallOverride).where(
        col(OncallOverride.end_at) > start,
        col(OncallOverride.start_at) < end,
        col(OncallOverride.removed_at).is_(None),
    )
    if schedules is not None:
        stmt = stmt.where(col(OncallOverride.schedule).in_(list(schedules)))
    found: dict[str, list[Override]] = {}
    for row in (await session.exec(stmt)).all():
        assert row.id is not None
        found.setdefault(row.schedule.lower(), []).append(
            Override(row.user_id, row.start_at, row.end_at, row.id)
        )
    return found
