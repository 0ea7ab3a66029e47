"""Members as Slack shows them: a user ID as a mention; an email looked up once
(`users.lookupByEmail`) and remembered, found or not, for a while."""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Iterable

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.runtime import Runtime
from bot.slack.client import slack_error_code
from bot.slack.text import escape

log = logging.getLogger(__name__)
FOUND_SECONDS = 3600.0  # a person's email rarely moves to someone else
NOT_FOUND_SECONDS = 600.0  # someone not yet in Slack may join soon
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
# Per Slack client (so per bot and per test): email -> (user ID or None, until when).
_CACHE: weakref.WeakKeyDictionary[AsyncWebClient, dict[str, tuple[str | None, float]]] = (
    weakref.WeakKeyDictionary()
)


async def slack_ids(rt: Runtime, members: Iterable[str]) -> dict[str, str | None]:
    """Each member as a Slack user ID (None: an email nobody in the workspace has, or one
    Slack could not be asked about now)."""
    cache = _CACHE.setdefault(rt.client, {})
    out: dict[str, str | None] = {}
    for member in dict.fromkeys(members):
        if _USER_ID.match(member):
            out[member] = member
            continue
        email = member.lower()
        held = cache.get(email)
        if held is not None and held[1] > time.monotonic():
            out[member] = held[0]
            continue
        out[member] = await _lookup(rt, email, cache)
    return out


async def _lookup(
    rt: Runtime, email: str, cache: dict[str, tuple[str | None, float]]
) -> str | None:
    try:
        resp = await rt.client.users_lookupByEmail(email=email)
    except Exception as exc:
        code = slack_error_code(exc)
        if code == "users_not_found":
            cache[email] = (None, time.monotonic() + NOT_FOUND_SECONDS)
        else:  # not remembered: the next reader asks again (the address is not logged)
            log.info("users.lookupByEmail failed: %s", code or type(exc).__name__)
        return None
    user_id = str((resp.get("user") or {}).get("id") or "") or None
    cache[email] = (user_id, time.monotonic() + FOUND_SECONDS)
    return user_id


def shown(member: str, ids: dict[str, str | None]) -> str:
    """`<@U123>`, or the email as text when Slack does not know it."""
    user_id = ids.get(member) or (member if _USER_ID.match(member) else None)
    if user_id:
        return f"<@{user_id}>"
    return f"{escape(member)} (not found in Slack)"
