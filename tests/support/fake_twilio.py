"""A fake Twilio REST API (Messages and Calls), served over real HTTP on localhost.

Follows Twilio's published API (twilio-oai `twilio_api_v2010`, and the REST docs):
- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From`, `Body`;
  `POST .../Calls.json`, form `To`, `From` and one of `Url`, `Twiml`, `ApplicationSid`.
- HTTP basic auth, the Account SID and Auth Token: a wrong or missing one is 401 with error
  20003; an account in the path that is not the one authenticated is 404 (20404).
- 201 with the resource as JSON (`sid` `SM...`/`CA...`, `status` `queued`, `to`, `from`...).
- Errors are JSON `{"code", "message", "more_info", "status"}`: a missing `To` 21604, missing
  `From` 21603, missing `Body` 21602, a `To` not in E.164 21211, a call without `Url`/`Twiml`
  21205; `fail(status, code=...)` makes the next request(s) fail so, 5xx included.

`press(...)` plays Twilio's side of a call's `<Gather>`: it posts `Digits` to the action URL
the call's TwiML gave, signed as Twilio signs (`X-Twilio-Signature`: base64 HMAC-SHA1 of the
URL followed by the sorted POST parameters, keyed with the Auth Token).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import aiohttp
from aiohttp import web

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
FROM = "+15555550199"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class Received:
    resource: str  # "Messages" or "Calls"
    form: dict[str, str]
    status: int
    sid: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Planned:
    status: int
    code: int
    message: str
    times: int = 1
    retry_after: int | None = None


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(key + params[key] for key in sorted(params))
    mac = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.received: list[Received] = []  # every request, answered how
        self._planned: list[Planned] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/{resource}.json", self._create)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **more: Any) -> dict[str, Any]:
        """The bot's settings for this fake."""
        return {
            "twilio_account_sid": self.account_sid,
            "twilio_auth_token": self.auth_token,
            "twilio_from": FROM,
            "twilio_api_url": self.url,
            **more,
        }

    # ---- test controls --------------------------------------------------------------------
    def fail(
        self,
        status: int,
        *,
        code: int = 20500,
        message: str = "",
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` creates are answered `status` with Twilio's error body (and a
        `Retry-After` header when given)."""
        planned = Planned(status, code, message or "An internal server error", times, retry_after)
        self._planned.append(planned)

    def messages(self, to: str | None = None) -> list[dict[str, str]]:
        return [
            r.form
            for r in self.received
            if r.resource == "Messages" and r.status == 201 and (to is None or r.form["To"] == to)
        ]

    def calls(self, to: str | None = None) -> list[dict[str, str]]:
        return [
            r.form
            for r in self.received
            if r.resource == "Calls" and r.status == 201 and (to is None or r.form["To"] == to)
        ]

    async def wait_for(self, predicate: Any, timeout: float = 10.0, what: str = "requests") -> Any:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.received}")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass
            return result

    async def press(
        self,
        call: dict[str, str],
        digits: str,
        deliver_to: str,
        *,
        auth_token: str | None = None,
        signed: bool = True,
    ) -> aiohttp.ClientResponse:
        """Twilio posting the keypress of `call` (as received) to its Gather's action. The
        action's public address is signed; the request goes to `deliver_to` (the bot's own
        address, as a proxy in front of it would forward it)."""
        gather = ElementTree.fromstring(call["Twiml"]).find("Gather")
        assert gather is not None, call["Twiml"]
        action = gather.attrib["action"]
        params = {
            "AccountSid": self.account_sid,
            "CallSid": "CA" + secrets.token_hex(16),
            "Digits": digits,
            "From": call["From"],
            "To": call["To"],
            "CallStatus": "in-progress",
            "FinishedOnKey": "",
        }
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = twilio_signature(
                auth_token or self.auth_token, action, params
            )
        parts = urlsplit(action)
        target = f"{deliver_to}{parts.path}?{parts.query}"
        async with aiohttp.ClientSession() as session:
            resp = await session.post(target, data=params, headers=headers)
            await resp.read()
            return resp

    # ---- the API ---------------------------------------------------------------------------
    async def _create(self, request: web.Request) -> web.Response:
        resource = request.match_info["resource"]
        form = {k: str(v) for k, v in (await request.post()).items()}
        response, sid = self._answer(request, resource, form)
        self.received.append(Received(resource, form, response.status, sid))
        async with self._changed:
            self._changed.notify_all()
        return response

    def _authenticated(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(f"{user}:{password}", f"{self.account_sid}:{self.auth_token}")

    def _answer(
        self, request: web.Request, resource: str, form: dict[str, str]
    ) -> tuple[web.Response, str | None]:
        if resource not in ("Messages", "Calls"):
            return _error(404, 20404, "The requested resource was not found"), None
        if not self._authenticated(request):
            return _error(401, 20003, "Authenticate"), None
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found"), None
        if self._planned:
            planned = self._planned[0]
            planned.times -= 1
            if planned.times <= 0:
                self._planned.pop(0)
            answer = _error(planned.status, planned.code, planned.message)
            if planned.retry_after is not None:
                answer.headers["Retry-After"] = str(planned.retry_after)
            return answer, None
        to, from_ = form.get("To", ""), form.get("From", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required."), None
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required."), None
        if not E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number."), None
        if resource == "Messages" and not form.get("Body"):
            return _error(400, 21602, "Message body is required."), None
        if resource == "Calls" and not (form.get("Url") or form.get("Twiml")):
            return _error(400, 21205, "Url parameter is required."), None
        prefix = "SM" if resource == "Messages" else "CA"
        sid = prefix + secrets.token_hex(16)
        body = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": to,
            "from": from_,
            "status": "queued",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{resource}/{sid}.json",
        }
        if resource == "Messages":
            body |= {"body": form["Body"], "direction": "outbound-api", "num_segments": "1"}
        else:
            body |= {"direction": "outbound-api"}
        return web.json_response(body, status=201), sid
