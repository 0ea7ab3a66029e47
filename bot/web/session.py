"""Who is reading: the signed session cookie, and the Slack user behind it.

The cookie (`sisyphus_session`) holds the Slack user id and an expiry, signed with
WEB_SESSION_SECRET; it is HttpOnly, SameSite=Lax, and Secure unless WEB_BASE_URL is plain
http on localhost. Each request looks the user up with `users.info` (kept for
USER_TTL_SECONDS): a deactivated user's session stops working, and guests and external people
get what the permission table's `read` action gives them. A lookup that fails refuses the
page (503): it fails closed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.core.runtime import Runtime
from bot.core.web_settings import secure_cookies
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.permissions import ACTIONS, Audience
from bot.web.signing import sign, unsign

SESSION_COOKIE = "sisyphus_session"
STATE_COOKIE = "sisyphus_signin"
SESSION_PURPOSE = "session"
USER_TTL_SECONDS = 60.0

_users: dict[str, tuple[Reader | None, float]] = {}


class PageRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Reader:
    user_id: str
    name: str
    audience: Audience
    tz: str  # the reader's Slack time zone (IANA name)


def session_secret(rt: Runtime) -> str:
    secret = rt.settings.web_session_secret
    return secret.get_secret_value() if secret else ""


def cookie_options(rt: Runtime, max_age: int | None) -> dict[str, Any]:
    return {
        "httponly": True,
        "secure": secure_cookies(rt.settings.web_base_url or ""),
        "samesite": "Lax",
        "path": "/",
        **({"max_age": max_age} if max_age is not None else {}),
    }


def start_session(rt: Runtime, response: web.StreamResponse, user_id: str) -> None:
    seconds = int(rt.settings.web_session_hours * 3600)
    value = sign(session_secret(rt), SESSION_PURPOSE, {"u": user_id}, expires=time.time() + seconds)
    response.set_cookie(SESSION_COOKIE, value, **cookie_options(rt, seconds))


def end_session(rt: Runtime, response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


def session_user(rt: Runtime, request: web.Request) -> str | None:
    payload = unsign(
        session_secret(rt), SESSION_PURPOSE, request.cookies.get(SESSION_COOKIE), now=time.time()
    )
    user = payload.get("u") if payload else None
    return user if isinstance(user, str) and user else None


def audience_of_user(rt: Runtime, user: dict[str, Any]) -> Audience:
    """As bot/slack/permissions.py's audience_of classifies a `users.info` user."""
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return Audience.GUEST
    team = user.get("team_id")
    if user.get("is_stranger") or (team and rt.team_id and team != rt.team_id):
        return Audience.EXTERNAL
    return Audience.MEMBER


async def look_up(rt: Runtime, user_id: str) -> Reader | None:
    """The reader, or None when Slack says they are gone. Raises PageRefused (503)."""
    now = time.monotonic()
    kept = _users.get(user_id)
    if kept is not None and now - kept[1] < USER_TTL_SECONDS:
        return kept[0]
    try:
        resp = await rt.client.users_info(user=user_id)
        user: dict[str, Any] = resp.get("user") or {}
    except Exception as exc:
        if slack_error_code(exc) in ("user_not_found", "account_inactive"):
            user = {"deleted": True}
        else:
            raise PageRefused(
                503, f"Slack could not tell who you are ({slack_error_text(exc)}); try again"
            ) from exc
    reader = None
    if user and not user.get("deleted") and not user.get("is_bot"):
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("name")
        reader = Reader(
            user_id, str(name or user_id), audience_of_user(rt, user), user.get("tz") or "UTC"
        )
    _users[user_id] = (reader, now)
    return reader


async def current_reader(rt: Runtime, request: web.Request) -> Reader | None:
    """The signed-in reader allowed to read, or None (show the sign-in page)."""
    user_id = session_user(rt, request)
    if user_id is None:
        return None
    reader = await look_up(rt, user_id)
    if reader is None:
        return None
    if reader.audience not in ACTIONS["read"].allowed:
        raise PageRefused(403, f"{reader.audience.value} accounts may not read the archive")
    return reader


def forget_reader(user_id: str) -> None:
    _users.pop(user_id, None)
