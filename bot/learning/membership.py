"""Who may see a private incident: the members of its war room, asked of Slack."""

from __future__ import annotations

import logging

from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)

MAX_MEMBER_PAGES = 20


class MembershipCheck:
    """`await check(channel_id)`: is the user a member? Answers are kept for one request.
    A channel Slack will not tell us about counts as not a member: private stays private."""

    def __init__(self, rt: Runtime, user_id: str) -> None:
        self.rt = rt
        self.user_id = user_id
        self._known: dict[str, bool] = {}

    async def __call__(self, channel_id: str | None) -> bool:
        if not channel_id:
            return False
        if channel_id not in self._known:
            self._known[channel_id] = await self._ask(channel_id)
        return self._known[channel_id]

    async def _ask(self, channel_id: str) -> bool:
        cursor: str | None = None
        for _ in range(MAX_MEMBER_PAGES):
            try:
                resp = await self.rt.client.conversations_members(
                    channel=channel_id, limit=1000, cursor=cursor
                )
            except Exception as exc:
                log.info("members of %s unknown: %s", channel_id, slack_error_text(exc))
                return False
            if self.user_id in (resp.get("members") or []):
                return True
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
        return False
