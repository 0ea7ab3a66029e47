"""Slack's Web API rate-limit tiers, and pacing our calls to stay inside them.

Slack limits each method "per app per workspace" by tier (docs.slack.dev/apis/web-api/rate-limits):
Tier 1 allows 1+ call a minute, Tier 2 20+, Tier 3 50+, Tier 4 100+, each with some burst.
`chat.postMessage` is special: about one message per second per channel, short bursts allowed.
The tier of each method the bot calls is the one its reference page gives. The tests' fake
Web API enforces the same table (tests/support/fake_slack_tiers.py), so one table says what
Slack does.

`Pacer` waits before a call rather than letting Slack answer 429: a token bucket per method
(a minute's quota as the burst, refilled at the tier's rate) and, for `chat.postMessage`, one
per channel. A 429 that comes anyway holds that method (or channel) for its `Retry-After`.
Calls that must wait queue by rank: a person's call (bot/core/priority.py) counts as having
waited PERSON_HEAD_START_SECONDS longer, so it goes ahead of the alert storm's background
calls, and a background call that waited longer than that still goes first (no starvation).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import time
from dataclasses import dataclass, field

from bot.core.priority import person_waiting

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
SPECIAL = 0  # chat.postMessage: per channel, below

METHOD_TIERS: dict[str, int] = {
    "apps.connections.open": 1,
    "auth.test": 4,  # "Special" on its page; generous, treated as Tier 4
    "canvases.create": 2,
    "chat.getPermalink": 4,  # "Special" on its page; generous, treated as Tier 4
    "chat.postEphemeral": 4,
    "chat.postMessage": SPECIAL,
    "chat.update": 3,
    "conversations.canvases.create": 2,
    "conversations.create": 2,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.invite": 3,
    "conversations.join": 3,
    "conversations.replies": 3,
    "conversations.setTopic": 2,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "files.info": 4,
    "openid.connect.token": 3,  # Sign in with Slack (bot/web): Tier 3 on its page
    "pins.add": 2,
    "reactions.add": 3,
    "usergroups.users.list": 2,
    "users.conversations": 3,
    "users.info": 4,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}
UNKNOWN_TIER = 2  # a method not in the table: the common tier, the cautious guess
POST_PER_SECOND = 1.0  # chat.postMessage, per channel
POST_BURST = 3  # "short bursts >1 allowed"


def rate_of(method: str) -> tuple[float, float]:
    """(calls per second, burst) for a method's own bucket."""
    tier = METHOD_TIERS.get(method, UNKNOWN_TIER)
    if tier == SPECIAL:  # limited per channel instead; a workspace-wide limit is not published
        return 10.0, 600.0
    per_minute = PER_MINUTE[tier]
    return per_minute / 60.0, float(per_minute)


@dataclass
class Bucket:
    rate: float  # tokens per second
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)
    held_until: float = 0.0  # after a 429: nothing before this

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def delay(self, now: float) -> float:
        """Seconds until a call may go (0: now). Refills; takes nothing."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.held_until:
            return self.held_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


# A person's call ranks as if it had been waiting this much longer than it has: it goes ahead
# of background calls queued less than this long before it, and background work still gets its
# turn (a background call waiting longer than this goes first), so nothing starves.
PERSON_HEAD_START_SECONDS = 30.0


@dataclass(order=True)
class _Waiter:
    rank: float  # when it asked, minus the head start of a person's call: lowest goes first
    seq: int


@dataclass
class _Queue:
    """The calls waiting for one bucket (a method's, or a channel's for chat.postMessage)."""

    waiters: list[_Waiter] = field(default_factory=list)  # kept sorted
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


class Pacer:
    """Client-side pacing per method and, for chat.postMessage, per channel; when calls must
    wait, a person's go ahead of the background's (bot/core/priority.py)."""

    def __init__(self) -> None:
        self._methods: dict[str, Bucket] = {}
        self._channels: dict[str, Bucket] = {}
        self._queues: dict[tuple[str, str | None], _Queue] = {}
        self._seq = itertools.count()
        self.person_head_start = PERSON_HEAD_START_SECONDS
        self.waited_seconds = 0.0  # total, for the storm benchmark

    def _buckets(self, method: str, channel: str | None) -> list[Bucket]:
        if method not in self._methods:
            rate, burst = rate_of(method)
            self._methods[method] = Bucket(rate, burst)
        buckets = [self._methods[method]]
        if method == "chat.postMessage" and channel:
            if channel not in self._channels:
                self._channels[channel] = Bucket(POST_PER_SECOND, POST_BURST)
            buckets.append(self._channels[channel])
        return buckets

    def waiting(self, method: str, channel: str | None = None) -> int:
        """How many calls wait for this method (or channel), for tests and benchmarks."""
        queue = self._queues.get(_queue_key(method, channel))
        return len(queue.waiters) if queue else 0

    async def wait(self, method: str, channel: str | None = None) -> None:
        """Return when a call may go, having taken its token from every bucket it uses.
        Calls that must wait go in rank order: a person's first, background after."""
        buckets = self._buckets(method, channel)
        now = time.monotonic()
        key = _queue_key(method, channel)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue()
        if not queue.waiters and max(b.delay(now) for b in buckets) <= 0:
            for b in buckets:
                b.tokens -= 1
            return
        head_start = self.person_head_start if person_waiting() else 0.0
        started = now
        me = _Waiter(now - head_start, next(self._seq))
        bisect.insort(queue.waiters, me)
        queue.wake()  # a new head, perhaps
        try:
            while True:
                changed = queue.changed
                now = time.monotonic()
                delay = max(b.delay(now) for b in buckets)
                if queue.waiters[0] is me:
                    if delay <= 0:
                        for b in buckets:
                            b.tokens -= 1
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), delay)
                else:
                    await changed.wait()
        finally:
            self.waited_seconds += time.monotonic() - started
            queue.waiters.remove(me)
            queue.wake()
            if not queue.waiters:
                del self._queues[key]

    def hold(self, method: str, channel: str | None, seconds: float) -> None:
        """Slack said 429 with Retry-After: hold the method (and channel) that long."""
        until = time.monotonic() + seconds
        buckets = self._buckets(method, channel)
        target = buckets[-1]  # the channel's for chat.postMessage, else the method's
        target.held_until = max(target.held_until, until)


def _queue_key(method: str, channel: str | None) -> tuple[str, str | None]:
    return (method, channel if method == "chat.postMessage" and channel else None)
