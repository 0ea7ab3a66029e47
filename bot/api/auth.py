"""Who is asking the read API and /mcp: `Authorization: Bearer <token>`, one of API_TOKENS.

The presented token is compared with every configured token by `hmac.compare_digest`, all of
them every time, so neither the time taken nor an early exit tells which (or how much of one)
matched. Each token has its own rate (API_RATE_PER_MINUTE, a token bucket in this process: a
burst of that many, refilled evenly over the minute); over it, 429 with Retry-After. A token
marked with a Slack user acts for that user: `users.info` must know them, not deactivated
(403 otherwise, failing closed), remembered as briefly as memberships are. The token itself
is never logged, echoed or kept anywhere but the settings.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence

from bot.api.errors import ApiError
from bot.core.api_settings import ApiToken
from bot.core.rate import RateBuckets
from bot.core.runtime import Runtime
from bot.learning.viewer import MEMBERSHIP_TTL_SECONDS, MembershipCache, Viewer
from bot.slack.client import slack_error_text

BEARER = "bearer "
UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="sisyphus"'}


def matching_token(tokens: Sequence[ApiToken], header: str | None) -> ApiToken:
    """The token the header presents; 401 when it presents none or an unknown one."""
    if not header or not header[: len(BEARER)].lower() == BEARER:
        raise ApiError(401, "send Authorization: Bearer <one of API_TOKENS>", UNAUTHORIZED)
    presented = header[len(BEARER) :].strip().encode()
    found: ApiToken | None = None
    for token in tokens:  # every one, whatever matched: constant time in the match
        if hmac.compare_digest(presented, token.secret.encode()):
            found = token
    if found is None:
        raise ApiError(401, "that token is not one of API_TOKENS", UNAUTHORIZED)
    return found


class RateLimiter:
    """A token bucket per API token name (bot.core.rate): `per_minute` at once, refilled over
    a minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._buckets = RateBuckets(per_minute, clock)

    def take(self, name: str) -> None:
        wait = self._buckets.take(name)
        if wait:
            raise ApiError(
                429,
                f"over API_RATE_PER_MINUTE ({self.per_minute}) for this token: retry in {wait} s",
                {"Retry-After": str(wait)},
            )


class Gate:
    """Tokens, rates and the viewers they make: one per process (the API and /mcp share it)."""

    def __init__(self, rt: Runtime, clock: Callable[[], float] = time.monotonic) -> None:
        self.rt = rt
        self.tokens = rt.settings.api_token_list()
        self.limiter = RateLimiter(rt.settings.api_rate_per_minute, clock)
        self.memberships = MembershipCache(rt, clock=clock)
        self.clock = clock
        self._users: dict[str, tuple[str | None, float]] = {}  # user -> refusal, until

    @property
    def enabled(self) -> bool:
        return bool(self.tokens)

    async def viewer(self, header: str | None) -> tuple[ApiToken, Viewer]:
        token = matching_token(self.tokens, header)
        self.limiter.take(token.name)
        if token.user_id is None:
            return token, Viewer.public()
        refusal = await self._user_refusal(token.user_id)
        if refusal:
            raise ApiError(403, refusal)
        return token, Viewer.acting_for(token.user_id, self.memberships)

    async def _user_refusal(self, user_id: str) -> str | None:
        now = self.clock()
        known = self._users.get(user_id)
        if known is not None and known[1] > now:
            return known[0]
        refusal = await self._ask_user(user_id)
        self._users[user_id] = (refusal, now + MEMBERSHIP_TTL_SECONDS)
        return refusal

    async def _ask_user(self, user_id: str) -> str | None:
        try:
            resp = await self.rt.client.users_info(user=user_id)
            user = resp.get("user") or {}
        except Exception as exc:
            return (
                f"the Slack user this token acts for could not be checked ({slack_error_text(exc)})"
            )
        if not user:
            return "the Slack user this token acts for could not be checked"
        if user.get("deleted"):
            return "the Slack user this token acts for is deactivated"
        return None
