"""A person's time zone, from their Slack profile (users.info `tz`)."""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo

from bot.core.runtime import Runtime
from bot.timeline.timeparse import zone_from_name

log = logging.getLogger(__name__)


async def user_zone(rt: Runtime, user_id: str) -> tuple[tzinfo, bool]:
    """(zone, whether it is really theirs); UTC when Slack does not say or cannot be asked."""
    try:
        resp = await rt.client.users_info(user=user_id)
        zone = zone_from_name((resp.get("user") or {}).get("tz"))
    except Exception as exc:
        log.info("users.info for %s failed: %s", user_id, type(exc).__name__)
        zone = None
    return (zone, True) if zone is not None else (UTC, False)
