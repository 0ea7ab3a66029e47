"""Building Slack's requests from the real payloads in tests/support/payloads and sending them
signed."""

from __future__ import annotations

import copy
import itertools
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp

from tests.support.signing import signed_headers

PAYLOADS = Path(__file__).parent / "payloads"
_event_ids = itertools.count(1)
_trigger_ids = itertools.count(1)


def load_payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text())


def _reuse_tracer() -> aiohttp.TraceConfig:
    """Marks, in the dict a request passes as `trace_request_ctx`, a kept-alive connection
    (the tests' own requests on `session`, a GET of /healthz say, pass none)."""

    async def reused(_session: Any, context: SimpleNamespace, _params: Any) -> None:
        if isinstance(context.trace_request_ctx, dict):
            context.trace_request_ctx["reused"] = True

    tracer = aiohttp.TraceConfig()
    tracer.on_connection_reuseconn.append(reused)
    return tracer


class SlackSender:
    """Sends slash commands, events and interactions to the bot's `/slack/events`.

    A kept-alive connection the server closes just as a request goes out on it (its keep-alive
    timeout racing the request) fails that request before any answer: it is sent again, once.
    aiohttp retries only idempotent methods itself, and these are POSTs. A reset on a new
    connection, or once the answer has begun, is the test's to see."""

    def __init__(self, base_url: str, secret: str, response_url: str) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.response_url = response_url
        self.session = aiohttp.ClientSession(trace_configs=[_reuse_tracer()])

    async def close(self) -> None:
        await self.session.close()

    async def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        timestamp: int | None = None,
    ) -> aiohttp.ClientResponse:
        all_headers = signed_headers(self.secret, body, content_type, timestamp)
        all_headers.update(headers or {})
        async with await self._send(body.encode(), all_headers) as resp:
            await resp.read()
            return resp

    async def _send(self, data: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
        """Until the answer's headers: sent again once if a kept-alive connection was reset."""
        connection = {"reused": False}
        try:
            return await self.session.post(
                self.url, data=data, headers=headers, trace_request_ctx=connection
            )
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            if not connection["reused"]:
                raise
        # The reset connection is closed, out of the pool.
        return await self.session.post(self.url, data=data, headers=headers)

    def command_body(
        self,
        text: str,
        *,
        command: str = "/incident",
        user_id: str = "U111",
        channel_id: str = "C111",
        response_key: str = "cmd",
        **extra: str,
    ) -> str:
        # Starts from the real payload (slash_command.bolt.json) and changes what a test needs.
        fields = dict(parse_qsl(load_payload("slash_command.bolt.json")["raw_body"]))
        fields.update(
            command=command,
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=self.response_url.rsplit("/", 1)[0] + "/" + response_key,
            # Slack gives every command its own trigger_id: two identical commands are two
            # requests, not a replay (the bot runs a replayed request once).
            trigger_id=f"{next(_trigger_ids)}.{time.time_ns()}.test",
        )
        fields.update(extra)
        return urlencode(fields)

    async def command(self, text: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.post(
            self.command_body(text, **kwargs), "application/x-www-form-urlencoded"
        )

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> aiohttp.ClientResponse:
        """Wrap an inner event in an event_callback envelope and send it."""
        envelope = {
            "token": "verification_token",
            "team_id": "T111",
            "api_app_id": "A111",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(envelope), "application/json", headers)

    async def interaction(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


def view_submission(
    callback_id: str,
    values: dict[str, Any],
    *,
    user_id: str = "U111",
    private_metadata: str = "",
) -> dict[str, Any]:
    """A view_submission from the real payload (interactive_view_submission.bolt.json)."""
    payload = copy.deepcopy(load_payload("interactive_view_submission.bolt.json"))
    payload["user"]["id"] = user_id
    payload["view"]["callback_id"] = callback_id
    payload["view"]["state"]["values"] = values
    payload["view"]["private_metadata"] = private_metadata
    payload["trigger_id"] = f"{next(_trigger_ids)}.{time.time_ns()}.view"  # one per submission
    return payload
