"""Who looks at App Home, and when their view was last published (table home_view).

A republish is claimed with a conditional UPDATE, so with several replicas each person's
view is republished at most once a minute, by one of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models.home import HomeView
from storage.tables import table_of

HOME = table_of(HomeView)


async def home_opened(session: AsyncSession, user_id: str, now: datetime, digest: str) -> None:
    row = await session.get(HomeView, user_id)
    if row is None:
        session.add(HomeView(user_id=user_id, opened_at=now, published_at=now, digest=digest))
    else:
        row.opened_at, row.published_at, row.digest = now, now, digest
        session.add(row)
    await session.flush()


async def home_viewers(session: AsyncSession, since: datetime) -> list[HomeView]:
    stmt = select(HomeView).where(col(HomeView.opened_at) >= since).order_by(col(HomeView.user_id))
    return list((await session.exec(stmt)).all())


async def claim_republish(
    session: AsyncSession, user_id: str, now: datetime, min_gap: timedelta
) -> bool:
    """Take the right to republish this person's view: True for exactly one claimer, and
    only if the last publish is at least `min_gap` old."""
    result = await session.exec(
        update(HOME)
        .where(
            and_(
                HOME.c.user_id == user_id,
                or_(HOME.c.published_at.is_(None), HOME.c.published_at <= now - min_gap),
            )
        )
        .values(published_at=now)
    )
    return bool(result.rowcount)


async def published(session: AsyncSession, user_id: str, digest: str) -> None:
    await session.exec(update(HOME).where(HOME.c.user_id == user_id).values(digest=digest))
