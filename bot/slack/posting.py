"""Posting into channels on an incident's behalf, with failures turned into plain words."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.runtime import Runtime
from bot.slack.client import expecting, slack_error_code, slack_error_text
from storage.models.incidents import Incident

log = logging.getLogger(__name__)


def broadcast_channel(rt: Runtime, incident: Incident) -> str | None:
    """Where company-wide news of this incident goes: None for private incidents."""
    channel = rt.settings.incident_broadcast_channel
    if not channel or incident.private or channel == incident.channel_id:
        return None
    return channel


async def post(
    rt: Runtime,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    problems: list[str] | None = None,
) -> str | None:
    """Post a message; return its ts, or None after noting what failed in `problems`."""
    try:
        resp = await post_message(rt, channel, text=text, blocks=blocks, unfurl_links=False)
    except Exception as exc:
        log.warning("could not post in %s: %s", channel, slack_error_text(exc))
        if problems is not None:
            problems.append(f"I could not post in <#{channel}> ({slack_error_text(exc)}).")
        return None
    return str(resp.get("ts") or "") or None


async def post_message(rt: Runtime, channel: str, **message: Any) -> Any:
    """chat.postMessage; in a public channel the bot is not in yet (the broadcast channel
    nobody invited it to), join it (channels:join) and post again. Raises Slack's error,
    the first one (`not_in_channel`) when the channel cannot be joined (a private one)."""
    try:
        with expecting("not_in_channel"):
            return await rt.client.chat_postMessage(channel=channel, **message)
    except SlackApiError as exc:
        if slack_error_code(exc) != "not_in_channel":
            raise
        refused = exc
    try:
        await rt.client.conversations_join(channel=channel)
    except SlackApiError as exc:
        log.warning("could not join %s to post there: %s", channel, slack_error_code(exc))
        raise refused from None
    log.info("joined %s to post there", channel)
    return await rt.client.chat_postMessage(channel=channel, **message)


async def invite(rt: Runtime, channel: str, user_id: str, problems: list[str]) -> None:
    """Add someone to the war room; being there already is fine."""
    try:
        await rt.client.conversations_invite(channel=channel, users=user_id)
    except SlackApiError as exc:
        if slack_error_code(exc) in ("already_in_channel", "cant_invite_self"):
            return
        problems.append(
            f"I could not add <@{user_id}> to the channel ({slack_error_text(exc)}); "
            "`/invite` them yourself."
        )
    except Exception as exc:
        problems.append(
            f"I could not add <@{user_id}> to the channel ({slack_error_text(exc)}); "
            "`/invite` them yourself."
        )
