"""A token bucket per key, in this process: `per_minute` at once, refilled evenly over the
minute. Used by the read API (per token) and by Sign in with Slack (per client address).

At most `max_keys` keys are remembered: past that, the keys idle for a minute (their buckets
full again, so forgetting them changes nothing) are dropped, then the oldest if need be.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 100_000


@dataclass
class RateBuckets:
    per_minute: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_KEYS
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key: level, since

    def take(self, key: str) -> int:
        """0 when the request may go; otherwise the seconds to wait before one may."""
        now = self.clock()
        rate = self.per_minute / 60.0
        level, since = self._buckets.pop(key, (float(self.per_minute), now))
        level = min(float(self.per_minute), level + (now - since) * rate)
        if level < 1.0:
            self._buckets[key] = (level, now)
            return max(1, math.ceil((1.0 - level) / rate))
        self._buckets[key] = (level - 1.0, now)  # re-inserted: the dict is oldest first
        if len(self._buckets) > self.max_keys:
            self._forget(now)
        return 0

    def _forget(self, now: float) -> None:
        idle = [k for k, (_, since) in self._buckets.items() if now - since >= 60.0]
        for key in idle:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]
