"""Who sees which incident, outside Slack (the read API, MCP): a `Viewer`.

A viewer either sees public incidents only (a token not marked with a Slack user), or acts as
a Slack user: then a private incident is visible only while that user is a member of its war
room, asked of Slack (`conversations.members`, bot/learning/membership.py) and remembered for
a short while across requests (`MembershipCache`). Slack not answering counts as not a member:
private stays private. Drills are shown only when a request asks for them (its own filter).

    viewer = Viewer.public()                      # or Viewer.acting_for("U0123", cache)
    await viewer.sees(incident.private, incident.channel_id)
    split = await viewer.private_split(rt.db)     # private incidents it may and may not see
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from bot.core.runtime import Runtime
from bot.learning.membership import MembershipCheck
from storage import Database

MEMBERSHIP_TTL_SECONDS = 30.0
# Private war rooms asked about for one list, search or count; the private incidents beyond
# are left out (as /incident stats does): a list is never slowed by hundreds of Slack calls.
MAX_PRIVATE_CHECKED = 50
MAX_CACHED = 10_000
PRIVATE_INCIDENTS = "SELECT id, channel_id FROM incident WHERE private = true ORDER BY id DESC"


class MembershipCache:
    """(user, channel) -> member?, each answer kept `ttl` seconds, shared by every request.
    Kept short: someone taken out of a war room stops seeing it within `ttl`."""

    def __init__(
        self,
        rt: Runtime,
        ttl: float = MEMBERSHIP_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rt = rt
        self.ttl = ttl
        self.clock = clock
        self._answers: dict[tuple[str, str], tuple[bool, float]] = {}

    async def is_member(self, user_id: str, channel_id: str | None) -> bool:
        if not channel_id:
            return False
        key = (user_id, channel_id)
        now = self.clock()
        known = self._answers.get(key)
        if known is not None and known[1] > now:
            return known[0]
        answer = await MembershipCheck(self.rt, user_id)(channel_id)
        if len(self._answers) >= MAX_CACHED:
            self._answers = {k: v for k, v in self._answers.items() if v[1] > now}
            if len(self._answers) >= MAX_CACHED:
                self._answers.clear()
        self._answers[key] = (answer, now + self.ttl)
        return answer


@dataclass(frozen=True)
class Viewer:
    """Who is reading: `user_id` None sees public incidents only."""

    user_id: str | None = None
    cache: MembershipCache | None = None

    @classmethod
    def public(cls) -> Viewer:
        return cls()

    @classmethod
    def acting_for(cls, user_id: str, cache: MembershipCache) -> Viewer:
        return cls(user_id, cache)

    @property
    def public_only(self) -> bool:
        return self.user_id is None or self.cache is None

    async def sees(self, private: bool, channel_id: str | None) -> bool:
        """May this viewer see an incident that is (or is not) private, in this war room?"""
        if not private:
            return True
        if self.public_only:
            return False
        assert self.cache is not None and self.user_id is not None
        return await self.cache.is_member(self.user_id, channel_id)

    async def sees_incident(self, incident: Any) -> bool:
        return await self.sees(bool(incident.private), incident.channel_id)

    async def private_split(self, db: Database) -> PrivateSplit:
        """The private incidents this viewer may see, and those it may not: every one hidden
        for a public viewer, else those whose war room the user is not in (at most
        MAX_PRIVATE_CHECKED war rooms asked, newest incidents first; the incidents of the rest
        are hidden). Slack is asked with no database connection held."""
        async with db.connection() as conn:
            rows = await conn.execute(text(PRIVATE_INCIDENTS))
            private = [(int(r[0]), r[1]) for r in rows]
        if self.public_only:
            return PrivateSplit(frozenset(), frozenset(i for i, _ in private))
        visible: set[int] = set()
        hidden: set[int] = set()
        asked: set[str] = set()
        for incident_id, channel_id in private:
            if channel_id and channel_id not in asked:
                if len(asked) >= MAX_PRIVATE_CHECKED:
                    hidden.add(incident_id)
                    continue
                asked.add(channel_id)
            (visible if await self.sees(True, channel_id) else hidden).add(incident_id)
        return PrivateSplit(frozenset(visible), frozenset(hidden))


@dataclass(frozen=True)
class PrivateSplit:
    """Private incidents by whether a viewer may see them (public ones are not listed)."""

    visible: frozenset[int]
    hidden: frozenset[int]
