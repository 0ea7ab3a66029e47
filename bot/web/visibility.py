"""Which incidents a signed-in reader may see: every public incident, and a private one only if
they are a member of its war room (`conversations.members`, through learning's
MembershipCheck, kept for MEMBERSHIP_TTL_SECONDS across requests). A channel Slack will not
tell us about counts as not a member: it fails closed. Drills are a filter of lists and
search (shown only when asked for), not a permission: a drill's own page is readable.

Lists, counts, stats and search apply `visible_clause(channels)` in SQL, with `channels` the
private channels this reader is in (`private_channels`: `users.conversations`, which lists a
private channel only where the bot is a member too, as `conversations.members` answers only
there), so a private incident never appears in a list, a count or a search result for anyone
else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import col

from bot.core.runtime import Runtime
from bot.learning.membership import MembershipCheck, private_rooms
from storage.models.incidents import Incident

MEMBERSHIP_TTL_SECONDS = 60.0
CONCURRENT_CHECKS = 8

# Kept per runtime (its instance), so two bots in one process (tests, the playground) never
# answer from each other's Slack. (the runtime's instance, user, channel) -> (member, when)
_known: dict[tuple[str, str, str], tuple[bool, float]] = {}
# (the runtime's instance, user) -> (their private channels, when)
_rooms: dict[tuple[str, str], tuple[frozenset[str], float]] = {}


class Guarded(Protocol):
    """What visibility reads of an incident (an Incident, a search Candidate, a row)."""

    @property
    def private(self) -> bool: ...

    @property
    def channel_id(self) -> str | None: ...


G = TypeVar("G", bound=Guarded)


def forget(user_id: str) -> None:
    """Drop what is kept about this reader's memberships (at sign-out)."""
    for key in [k for k in _known if k[1] == user_id]:
        _known.pop(key, None)
    for kept in [k for k in _rooms if k[1] == user_id]:
        _rooms.pop(kept, None)


class Visibility:
    """What one reader (a Slack user id) may see."""

    def __init__(self, rt: Runtime, user_id: str) -> None:
        self.rt = rt
        self.user_id = user_id
        self._check = MembershipCheck(rt, user_id)

    async def is_member(self, channel_id: str | None) -> bool:
        if not channel_id:
            return False
        key = (self.rt.instance, self.user_id, channel_id)
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

    async def private_channels(self) -> frozenset[str]:
        """The private channels this reader is a member of (and the bot too), for lists,
        counts and stats: one `users.conversations` call per 1,000 channels, kept
        MEMBERSHIP_TTL_SECONDS, instead of one `conversations.members` per private war room
        (Tier 4, 100 a minute: 300 rooms took minutes, bench.web_archive)."""
        now = time.monotonic()
        key = (self.rt.instance, self.user_id)
        kept = _rooms.get(key)
        if kept is not None and now - kept[1] < MEMBERSHIP_TTL_SECONDS:
            return kept[0]
        rooms = await private_rooms(self.rt, self.user_id)
        _rooms[key] = (rooms, now)
        return rooms

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
