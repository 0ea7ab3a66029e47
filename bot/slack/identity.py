"""Who the bot is in Slack, learned once at start-up so no request waits on `auth.test`.

Bolt's default single-workspace authorization calls `auth.test` before a listener runs: a Web
API call ahead of the ack, and when Slack's API is failing it answers 200 with a "please
reinstall" text, so an event is dropped that Slack would otherwise have retried. Here
`auth.test` runs at start-up (and again in the background, with a growing wait, until it
works), and Bolt's `authorize` hands out the cached answer. A token Slack refuses is not
retried: it stops the bot with one line naming SLACK_BOT_TOKEN (bot/slack/credentials.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize

from bot.core.errors import RefusedSetting
from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text
from bot.slack.credentials import backoff, refusal

log = logging.getLogger(__name__)

# A full member the bot has seen (users.info) within this long may declare without another
# users.info: declaring then needs no Slack call before conversations.create. Every other
# change still asks Slack, so a member made a guest meanwhile is refused there.
MEMBER_SEEN_SECONDS = 600.0


async def learn_identity(rt: Runtime) -> str | None:
    """Ask Slack who the bot is: None once known, else why not. A refused token raises
    RefusedSetting."""
    try:
        who = await rt.client.auth_test()
    except Exception as exc:
        refused = refusal(exc, "SLACK_BOT_TOKEN")
        if refused is not None:
            raise refused from None
        return slack_error_text(exc)
    rt.bot_user_id = who.get("user_id")
    rt.bot_id = who.get("bot_id")
    rt.team_id = who.get("team_id")
    rt.team_url = who.get("url")
    log.info("signed in to Slack as bot user %s in team %s", rt.bot_user_id, rt.team_id)
    return None


def install_identity(rt: Runtime) -> None:
    async def identity_at_startup(rt: Runtime) -> None:
        problem = await learn_identity(rt)
        if problem is not None:
            rt.spawn(_keep_trying(rt, problem), name="auth-test-retry")

    rt.startup_hooks.insert(0, identity_at_startup)


async def _keep_trying(rt: Runtime, problem: str) -> None:
    for delay in backoff(rt.settings.startup_retry_seconds):
        log.warning("auth.test failed (%s); trying again in %gs", problem, delay)
        await asyncio.sleep(delay)
        try:
            found = await learn_identity(rt)
        except RefusedSetting as exc:
            rt.fail(exc)
            return
        if found is None:
            return
        problem = found


class CachedAuthorize(AsyncAuthorize):
    """Bolt's `authorize`, answering from what start-up learned. A subclass of Bolt's own, so
    Bolt calls it directly (a plain function has its arguments worked out on every request)."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__()
        self.rt = rt
        self.token = rt.settings.slack_bot_token.get_secret_value()

    async def __call__(
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        rt = self.rt
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or rt.team_id,
            bot_token=self.token,
            bot_id=rt.bot_id,
            bot_user_id=rt.bot_user_id,
        )


def make_authorize(rt: Runtime) -> Any:
    return CachedAuthorize(rt)


def _seen(rt: Runtime) -> dict[str, float]:
    """When each member was last seen, kept with the client (one per process)."""
    seen = getattr(rt.client, "members_seen", None)
    if not isinstance(seen, dict):
        seen = {}
        rt.client.members_seen = seen  # type: ignore[attr-defined]  # one per client, set here
    return seen


def remember_member(rt: Runtime, user_id: str) -> None:
    _seen(rt)[user_id] = time.monotonic()


def forget_member(rt: Runtime, user_id: str) -> None:
    _seen(rt).pop(user_id, None)


def member_seen(rt: Runtime, user_id: str) -> bool:
    """Whether users.info said `user_id` is a full member in the last MEMBER_SEEN_SECONDS."""
    at = _seen(rt).get(user_id)
    return at is not None and time.monotonic() - at < MEMBER_SEEN_SECONDS
