"""Slack's rate-limit tiers, enforced by the fake Web API (issue 14).

Each method is limited per tier (bot/slack/tiers.py: METHOD_TIERS, the tiers of Slack's method
pages), as a token bucket holding a minute's quota; `chat.postMessage` also about one message
a second per channel with short bursts. Over the limit, the answer is Slack's: HTTP 429,
`{"ok": false, "error": "ratelimited"}` and `Retry-After` in seconds. `rate_limited` lists
every 429 sent, as (method, channel).
"""

from __future__ import annotations

import math
import time
from typing import Any

from bot.slack.tiers import POST_BURST, POST_PER_SECOND, Bucket, rate_of

# A little slack over the client's own pacing: the fake measures arrival, not departure.
LENIENCY = 1.0


class TierLimits:
    tiers_enforced: bool
    rate_limited: list[tuple[str, str | None]]
    _tier_buckets: dict[tuple[str, str | None], Bucket]

    def init_tiers(self, enforced: bool = True) -> None:
        self.tiers_enforced = enforced
        self.rate_limited = []
        self._tier_buckets = {}

    def over_tier(self, method: str, params: dict[str, Any]) -> int | None:
        """Retry-After seconds if this call is over its tier, else None (and it is counted)."""
        if not self.tiers_enforced:
            return None
        channel = params.get("channel") if method == "chat.postMessage" else None
        keys: list[tuple[str, str | None]] = [(method, None)]
        if isinstance(channel, str):
            keys.append((method, channel))
        now = time.monotonic()
        buckets = []
        for key in keys:
            if key not in self._tier_buckets:
                rate, burst = rate_of(method) if key[1] is None else (POST_PER_SECOND, POST_BURST)
                self._tier_buckets[key] = Bucket(rate, burst + LENIENCY)
            buckets.append(self._tier_buckets[key])
        wait = max(b.delay(now) for b in buckets)
        if wait > 0:
            self.rate_limited.append((method, channel if isinstance(channel, str) else None))
            return max(1, math.ceil(wait))
        for b in buckets:
            b.tokens -= 1
        return None
