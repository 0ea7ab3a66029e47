"""A fake Sign in with Slack provider, from Slack's documentation of the flow
(https://docs.slack.dev/authentication/sign-in-with-slack/): its own server answers
`GET /openid/connect/authorize` (the person consents at once: it redirects back with a code
and the state) and `GET /openid/connect/keys` (a JWKS with a test RSA key); the two Web API
methods, `openid.connect.token` and `openid.connect.userInfo`, are added to the fake Web API
(FakeSlack.extra_methods), where the bot calls them at SLACK_API_URL.

The id token has Slack's claims: iss `https://slack.com`, sub, aud (the client id), exp, iat,
auth_time, nonce, at_hash, `https://slack.com/user_id`, `https://slack.com/team_id`, name,
email. Knobs for the refusals: `user`, `team_id`, `expired`, `forged` (signed with another
key under the published key id), `nonce` (a fixed nonce instead of the one asked for).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.fake_slack import FakeSlack
from tests.support.fake_vendor import FakeVendor

CLIENT_ID = "2141029472.691202649728"
CLIENT_SECRET = "e1b9e11dfcd19c1982d5de12921e17e8c"
KEY_ID = "mB2MAyKSn555isd0EbdhKx6nkyAi9xLq8rvCEb_nOyY"
TEAM_ID = "T111"  # the fake Web API's auth.test team


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_KEY = _new_key()  # made once per test process: 2048-bit keys take a moment
_OTHER_KEY = _new_key()


@dataclass
class Grant:
    user: str
    nonce: str | None
    redirect_uri: str
    access_token: str


class FakeSlackOpenID(FakeVendor):
    def __init__(self, slack: FakeSlack) -> None:
        super().__init__()
        self.slack = slack
        self.user = "U111"  # who consents on the next authorize
        self.team_id = TEAM_ID
        self.expired = False
        self.forged = False
        self.nonce: str | None = None
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}
        self.authorized: list[dict[str, str]] = []  # each authorize request's query
        self._n = itertools.count(1)
        slack.extra_methods["openid.connect.token"] = self._token
        slack.extra_methods["openid.connect.userInfo"] = self._user_info

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/openid/connect/authorize", self._authorize)
        app.router.add_get("/openid/connect/keys", self._keys)

    @property
    def openid_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/openid/connect/"

    # ---- the provider's pages ---------------------------------------------------------------
    async def _authorize(self, request: web.Request) -> web.Response:
        q = dict(request.query)
        self.authorized.append(q)
        if q.get("response_type") != "code" or q.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="invalid_request")
        if "openid" not in q.get("scope", "").split():
            return web.Response(status=400, text="invalid_scope")
        code = f"4724469134.{next(self._n)}.{hashlib.sha256(str(time.time()).encode()).hexdigest()}"
        token = f"xoxp-openid-{next(self._n)}"
        self.grants[code] = Grant(self.user, q.get("nonce"), q.get("redirect_uri", ""), token)
        back = urlencode({"code": code, "state": q.get("state", "")})
        return web.Response(status=302, headers={"Location": f"{q['redirect_uri']}?{back}"})

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key(), as_dict=True)
        return web.json_response({"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})

    # ---- the Web API methods ----------------------------------------------------------------
    def _client_ok(self, params: dict[str, Any], headers: Mapping[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            pair = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = pair.partition(":")
        else:
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        return client_id == CLIENT_ID and secret == CLIENT_SECRET

    def _token(self, params: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        if not self._client_ok(params, headers):
            return {"ok": False, "error": "invalid_client_id"}
        grant = self.grants.pop(params.get("code", ""), None)  # a code is good once
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if params.get("redirect_uri") != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        self.tokens[grant.access_token] = grant
        return {
            "ok": True,
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "id_token": self.id_token(grant),
        }

    def _user_info(self, params: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        token = headers.get("Authorization", "").removeprefix("Bearer ") or params.get("token")
        grant = self.tokens.get(token or "")
        if grant is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, **self._identity(grant)}

    def _identity(self, grant: Grant) -> dict[str, Any]:
        return {
            "sub": grant.user,
            "https://slack.com/user_id": grant.user,
            "https://slack.com/team_id": self.team_id,
            "https://slack.com/team_name": "Subarachnoid Workspace",
            "https://slack.com/team_domain": "subarachnoid",
            "email": f"{grant.user.lower()}@example.com",
            "email_verified": True,
            "name": grant.user.lower(),
            "locale": "en-US",
        }

    def id_token(self, grant: Grant) -> str:
        now = int(time.time()) - (7200 if self.expired else 0)
        at_hash = hashlib.sha256(grant.access_token.encode()).digest()[:16]
        claims = {
            "iss": "https://slack.com",
            "aud": CLIENT_ID,
            "exp": now + 3600,
            "iat": now,
            "auth_time": now,
            "nonce": self.nonce if self.nonce is not None else grant.nonce,
            "at_hash": base64.urlsafe_b64encode(at_hash).rstrip(b"=").decode(),
            **self._identity(grant),
        }
        key = _OTHER_KEY if self.forged else _KEY
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})
