"""Who may see a private incident: the members of its war room, asked of Slack."""

from __future__ import annotations

import logging

from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)

MAX_MEMBER_PAGES = 20
MAX_ROOM_PAGES = 10  # of 1000 channels each


async def private_rooms(rt: Runtime, user_id: str) -> frozenset[str]:
    """The private channels this user is a member of that the bot is in too
    (`users.conversations`, Tier 3, a page of up to 1,000 each call): the channels
    `conversations.members` would say they are in, in one call instead of one per channel.
    When Slack will not say, none: private stays private."""
    rooms: set[str] = set()
    cursor: str | None = None
    for _ in range(MAX_ROOM_PAGES):
        try:
            resp = await rt.client.users_conversations(
                user=user_id,
                types="private_channel",
                exclude_archived=False,
                limit=1000,
                cursor=cursor,
            )
        except Exception as exc:
            log.info("private channels of %s unknown: %s", user_id, slack_error_text(exc))
            return frozenset()
        rooms |= {str(c["id"]) for c in resp.get("channels") or [] if c.get("id")}
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return frozenset(rooms)


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
