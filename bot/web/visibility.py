"""Which incidents a signed-in reader may see: every public incident, and a private one only if
they are a member of its war room (`conversations.members`, through learning's
MembershipCheck, kept for MEMBERSHIP_TTL_SECONDS across requests). A channel Slack will not
tell us about counts as not a member: it fails closed. Drills are a filter of lists and
search (shown only when asked for), not a permission: a drill's own page is readable.

Lists, counts and search apply `visible_clause(channels)` in SQL, with `channels` the private
war rooms this reader is in (`private_channels`), so a private incident never appears in a
list, a count or a search result for anyone else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, false, or_, select
from sqlmodel import col

from bot.core.runtime import Runtime
from bot.learning.membership import MembershipCheck
from storage import Database
from storage.models.incidents import Incident

MEMBERSHIP_TTL_SECONDS = 60.0
# At most this many private war rooms are asked about for one list; the rest stay hidden.
MAX_PRIVATE_CHANNELS = 300
CONCURRENT_CHECKS = 8

_known: dict[tuple[str, str], tuple[bool, float]] = {}  # (user, channel) -> (member, when)


class Guarded(Protocol):
    """What visibility reads of an incident (an Incident, a search Candidate, a row)."""

    @property
    def private(self) -> bool: ...

    @property
    def channel_id(self) -> str | None: ...


G = TypeVar("G", bound=Guarded)


def forget(user_id: str) -> None:
    """Drop what is kept about this reader's memberships (at sign-out)."""
    for key in [k for k in _known if k[0] == user_id]:
        _known.pop(key, None)


class Visibility:
    """What one reader (a Slack user id) may see."""

    def __init__(self, rt: Runtime, user_id: str) -> None:
        self.user_id = user_id
        self._check = MembershipCheck(rt, user_id)

    async def is_member(self, channel_id: str | None) -> bool:
        if not channel_id:
            return False
        key = (self.user_id, channel_id)
        now = time.monotonic()
        kept = _known.get(key)
        if kept is not None and now - kept[1] < MEMBERSHIP_TTL_SECONDS:
            return kept[0]
        member = await self._check(channel_id)
        _known[key] = (member, now)
        return member

    async def can_see(self, incident: Guarded) -> bool:
        return not incident.private or await self.is_member(incident.channel_id)

    async def keep_visible(self, found: Iterable[G]) -> list[G]:
        """Those of `found` this reader may see, in order: the decision `can_see` makes, with
        the war rooms of the private ones asked about at once."""
        found = list(found)
        rooms = {f.channel_id for f in found if f.private and f.channel_id}
        member_of = await self.members_of(sorted(rooms))
        return [f for f in found if not f.private or f.channel_id in member_of]

    async def private_channels(self, db: Database) -> frozenset[str]:
        """The war rooms of private incidents this reader is a member of (Slack is asked with
        no database connection held)."""
        stmt = (
            select(col(Incident.channel_id))
            .where(col(Incident.private), col(Incident.channel_id).is_not(None))
            .distinct()
            .limit(MAX_PRIVATE_CHANNELS)
        )
        async with db.connection() as conn:
            channels = [str(c) for (c,) in (await conn.execute(stmt)).all()]
        return await self.members_of(channels)

    async def members_of(self, channels: Iterable[str]) -> frozenset[str]:
        gate = asyncio.Semaphore(CONCURRENT_CHECKS)

        async def check(channel: str) -> str | None:
            async with gate:
                return channel if await self.is_member(channel) else None

        found = await asyncio.gather(*(check(c) for c in channels))
        return frozenset(c for c in found if c)


def visible_clause(channels: frozenset[str]) -> ColumnElement[bool]:
    """SQL: the incident is public, or private in one of these war rooms."""
    in_rooms = col(Incident.channel_id).in_(sorted(channels)) if channels else false()
    return or_(col(Incident.private).is_(False), in_rooms)
