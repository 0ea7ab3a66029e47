"""Telling one person something privately when there is no response_url (modals, buttons)."""

from __future__ import annotations

import logging

from bot.runtime import Runtime

log = logging.getLogger(__name__)


async def tell_user(rt: Runtime, user_id: str, channel_id: str | None, text: str) -> None:
    """Ephemeral in the channel if possible, else a direct message, else a log line."""
    if channel_id:
        try:
            await rt.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            return
        except Exception:
            log.info("ephemeral to %s in %s failed; trying a DM", user_id, channel_id)
    try:
        await rt.client.chat_postMessage(channel=user_id, text=text)
    except Exception:
        log.warning("could not tell user %s: %s", user_id, text[:80])
