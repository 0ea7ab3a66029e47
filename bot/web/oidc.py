"""OpenID Connect with Slack: the authorize address, the code exchanged for an id token
(`openid.connect.token`, at SLACK_API_URL like every Web API call) and the id token checked:
its RS256 signature against the keys published at `<SLACK_OPENID_URL>keys`, the issuer, the
audience (our client id), its expiry, the nonce we sent, and that its
`https://slack.com/team_id` claim is our workspace (the team is taken from the token itself,
never from a later call).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import Settings
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)

ISSUER = "https://slack.com"
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"
SCOPES = "openid profile"
KEYS_TTL_SECONDS = 3600
KEYS_REFRESH_SECONDS = 60  # an unknown key id fetches the keys again, at most this often
LEEWAY_SECONDS = 30
HTTP_TIMEOUT_SECONDS = 10


class SignInRefused(Exception):
    """Why a sign-in was refused, in one line fit to show."""


@dataclass
class _Keys:
    by_id: dict[str, jwt.PyJWK]
    fetched_at: float


_keys: dict[str, _Keys] = {}  # keys URL -> what it last published


def authorize_url(settings: Settings, *, state: str, nonce: str, redirect_uri: str) -> str:
    query = {
        "response_type": "code",
        "scope": SCOPES,
        "client_id": settings.slack_client_id or "",
        "state": state,
        "nonce": nonce,
        "redirect_uri": redirect_uri,
    }
    return f"{settings.slack_openid_url}authorize?{urlencode(query)}"


async def fetch_keys(openid_url: str) -> dict[str, jwt.PyJWK]:
    """`<SLACK_OPENID_URL>keys`: key id -> RS256 key. Raises SignInRefused."""
    url = openid_url + "keys"
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(url) as resp:
                if resp.status != 200:
                    raise SignInRefused(f"Slack's signing keys answered HTTP {resp.status}")
                document = await resp.json(content_type=None)
        keys = {}
        for jwk in document.get("keys") or []:
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[str(jwk["kid"])] = jwt.PyJWK(jwk, algorithm="RS256")
    except (TimeoutError, aiohttp.ClientError, ValueError, jwt.PyJWKError) as exc:
        raise SignInRefused(
            f"Slack's signing keys could not be read ({type(exc).__name__})"
        ) from None
    return keys


async def signing_key(openid_url: str, kid: str) -> jwt.PyJWK:
    """The published key of this id; the keys are fetched again when an hour old, or (at most
    once a minute) when a token names a key not seen yet: Slack rotates its keys."""
    now = time.monotonic()
    known = _keys.get(openid_url)
    if known is None or now - known.fetched_at > KEYS_TTL_SECONDS:
        known = None
    elif kid not in known.by_id and now - known.fetched_at > KEYS_REFRESH_SECONDS:
        known = None
    if known is None:  # two requests at once may both fetch: harmless
        known = _Keys(await fetch_keys(openid_url), now)
        _keys[openid_url] = known
    key = known.by_id.get(kid)
    if key is None:
        raise SignInRefused("the id token is signed with a key Slack does not publish")
    return key


async def exchange_code(settings: Settings, code: str, redirect_uri: str) -> str:
    """The id token for an authorization code (`openid.connect.token`). Raises SignInRefused."""
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=HTTP_TIMEOUT_SECONDS)
    secret = settings.slack_client_secret
    try:
        resp = await client.openid_connect_token(
            client_id=settings.slack_client_id or "",
            client_secret=secret.get_secret_value() if secret else "",
            code=code,
            redirect_uri=redirect_uri,
            grant_type="authorization_code",
        )
    except Exception as exc:
        raise SignInRefused(f"Slack did not accept the sign-in ({slack_error_text(exc)})") from None
    token = resp.get("id_token")
    if not isinstance(token, str) or not token:
        raise SignInRefused("Slack's answer had no id token")
    return token


async def verify_id_token(
    settings: Settings, token: str, *, nonce: str, team_id: str | None
) -> dict[str, Any]:
    """The id token's claims, once every check passed. Raises SignInRefused."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SignInRefused("the id token is not a JWT") from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise SignInRefused("the id token is not signed with RS256 and a published key")
    key = await signing_key(settings.slack_openid_url, header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=settings.slack_client_id,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
    except jwt.ExpiredSignatureError:
        raise SignInRefused("the id token has expired: sign in again") from None
    except jwt.InvalidSignatureError:
        raise SignInRefused("the id token's signature is not Slack's") from None
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"the id token is not valid ({exc})") from None
    if claims.get("nonce") != nonce:
        raise SignInRefused("the id token was not issued for this sign-in (nonce)")
    if not team_id or claims.get(TEAM_CLAIM) != team_id:
        raise SignInRefused("only members of this bot's own Slack workspace can sign in")
    user = claims.get(USER_CLAIM) or claims.get("sub")
    if not isinstance(user, str) or not user:
        raise SignInRefused("the id token names no Slack user")
    return claims
