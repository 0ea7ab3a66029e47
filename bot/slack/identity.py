"""Who the bot is in Slack, learned once at start-up so no request waits on `auth.test`.

Bolt's default single-workspace authorization calls `auth.test` before a listener runs: a Web
API call ahead of the ack, and when Slack's API is failing it answers 200 with a "please
reinstall" text, so an event is dropped that Slack would otherwise have retried. Here
`auth.test` runs at start-up (and again in the background until it works), and Bolt's
`authorize` hands out the cached answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult

from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)
RETRY_SECONDS = 10.0


async def learn_identity(rt: Runtime) -> bool:
    try:
        who = await rt.client.auth_test()
    except Exception as exc:
        log.warning("auth.test failed (%s); will try again", slack_error_text(exc))
        return False
    rt.bot_user_id = who.get("user_id")
    rt.bot_id = who.get("bot_id")
    rt.team_id = who.get("team_id")
    rt.team_url = who.get("url")
    return True


def install_identity(rt: Runtime) -> None:
    async def identity_at_startup(rt: Runtime) -> None:
        if not await learn_identity(rt):
            rt.spawn(_keep_trying(rt), name="auth-test-retry")

    rt.startup_hooks.insert(0, identity_at_startup)


async def _keep_trying(rt: Runtime) -> None:
    while True:
        await asyncio.sleep(RETRY_SECONDS)
        if await learn_identity(rt):
            return


def make_authorize(rt: Runtime) -> Any:
    token = rt.settings.slack_bot_token.get_secret_value()

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or rt.team_id,
            bot_token=token,
            bot_id=rt.bot_id,
            bot_user_id=rt.bot_user_id,
        )

    return authorize
