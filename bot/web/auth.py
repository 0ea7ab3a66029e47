"""`GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`: Sign in with Slack.

The login sets a signed state cookie (state, nonce and where to go back to; SameSite=Lax,
since Strict would not be sent on the redirect back from Slack) valid for the replay window,
and sends the browser to Slack's authorize page. The callback takes the state and the nonce
once each (remembered in the database, bot/slack/replays.py, on every replica), exchanges
the code, checks the id token (oidc.py) and the user (`users.info`), and starts the session.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time

from aiohttp import web

from bot.core.runtime import Runtime
from bot.slack.replays import WINDOW, first_time
from bot.web.oidc import (
    USER_CLAIM,
    SignInRefused,
    authorize_url,
    exchange_code,
    verify_id_token,
)
from bot.web.session import (
    STATE_COOKIE,
    cookie_options,
    end_session,
    forget_reader,
    look_up,
    session_secret,
    session_user,
    start_session,
)
from bot.web.signing import sign, unsign
from bot.web.visibility import forget

log = logging.getLogger(__name__)

STATE_PURPOSE = "signin-state"
CALLBACK_PATH = "/auth/callback"


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def redirect_uri(rt: Runtime) -> str:
    return (rt.settings.web_base_url or "").rstrip("/") + CALLBACK_PATH


def safe_next(value: str | None) -> str:
    """Only a path of this site: never another host (`//evil`, `/\\evil`, `https://…`)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value[:500]


async def login(rt: Runtime, request: web.Request) -> web.StreamResponse:
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    seconds = int(WINDOW.total_seconds())
    cookie = sign(
        session_secret(rt),
        STATE_PURPOSE,
        {"s": state, "n": nonce, "next": safe_next(request.query.get("next"))},
        expires=time.time() + seconds,
    )
    target = authorize_url(rt.settings, state=state, nonce=nonce, redirect_uri=redirect_uri(rt))
    response = see_other(target)
    response.set_cookie(STATE_COOKIE, cookie, **cookie_options(rt, seconds))
    return response


class CallbackRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


async def _signed_in_user(rt: Runtime, request: web.Request) -> tuple[str, str]:
    """(user id, where to go back to), or CallbackRefused with the reason."""
    if request.query.get("error"):
        raise CallbackRefused(400, "Slack did not sign you in (the request was declined)")
    code, state = request.query.get("code", ""), request.query.get("state", "")
    if not code or not state:
        raise CallbackRefused(400, "the callback needs a code and a state from Slack")
    cookie = unsign(
        session_secret(rt), STATE_PURPOSE, request.cookies.get(STATE_COOKIE), now=time.time()
    )
    if cookie is None:
        raise CallbackRefused(400, "this sign-in expired or did not start here: sign in again")
    if not hmac.compare_digest(str(cookie.get("s", "")), state):
        raise CallbackRefused(400, "the state does not match this browser's sign-in")
    if not await first_time(rt.db, f"web-state:{state}"):
        raise CallbackRefused(400, "this sign-in was already used (state replayed)")
    nonce = str(cookie.get("n", ""))
    try:
        id_token = await exchange_code(rt.settings, code, redirect_uri(rt))
        claims = await verify_id_token(rt.settings, id_token, nonce=nonce, team_id=rt.team_id)
    except SignInRefused as refused:
        raise CallbackRefused(403, str(refused)) from refused
    if not await first_time(rt.db, f"web-nonce:{nonce}"):
        raise CallbackRefused(403, "this id token was already used (nonce replayed)")
    user_id = str(claims.get(USER_CLAIM) or claims["sub"])
    forget_reader(user_id)  # a fresh users.info for a fresh sign-in
    if await look_up(rt, user_id) is None:
        raise CallbackRefused(403, "your Slack account is deactivated or unknown here")
    return user_id, safe_next(str(cookie.get("next") or "/"))


async def callback(rt: Runtime, request: web.Request) -> web.StreamResponse:
    try:
        user_id, back_to = await _signed_in_user(rt, request)
    except CallbackRefused as refused:
        log.info("sign-in refused (%d): %s", refused.status, refused.reason)
        response = web.Response(status=refused.status, text=refused.reason + "\n")
        response.del_cookie(STATE_COOKIE, path="/")
        return response
    log.info("signed in to the web archive: %s", user_id)
    response = see_other(back_to)
    response.del_cookie(STATE_COOKIE, path="/")
    start_session(rt, response, user_id)
    return response


async def logout(rt: Runtime, request: web.Request) -> web.StreamResponse:
    user_id = session_user(rt, request)
    if user_id:
        forget_reader(user_id)
        forget(user_id)
    response = see_other("/")
    end_session(rt, response)
    return response
