"""The HTTP surface: `/slack/events` (HTTP mode), `/healthz` and `/metrics` (both modes).

An unsigned request must cost nothing: `/slack/events` refuses on the headers alone (no
signature, a timestamp outside Slack's 5-minute window, a body over 1 MiB), reads a body only
within a deadline, checks the signature over the raw bytes, and only then parses anything.
A refusal is one short log line with no body and no header values.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping
from functools import lru_cache
from hashlib import sha256
from urllib.parse import parse_qsl

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

import handlers
from bot.app.request_log import request_log
from bot.core.http_bodies import BodyRefused, read_body
from bot.core.metrics import ACK_SECONDS, SLACK_REQUESTS, request_kind
from bot.core.runtime import Runtime
from bot.slack.access import access_of
from bot.slack.replays import first_time
from storage import StorageUnavailable

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are far smaller (bot.core.http_bodies')
FRESH_SECONDS = 5 * 60  # Slack's replay window
REPLAY_CHECK_SECONDS = 1.0
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def _with_form_fix(req: AsyncBoltRequest) -> AsyncBoltRequest:
    """Work around Bolt reading any form body that contains the word "payload" as an
    interaction: `/incident declare payload service down` would otherwise parse as `{}` and
    be answered 404. A form without a `payload` field is a slash command; parse it as one.
    """
    raw = req.raw_body
    if req.body == {} and raw and not raw.lstrip().startswith("{") and "payload" in raw:
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" not in form:
            req.body = form
            req.context = build_async_context(AsyncBoltContext({}), form)
    return req


def _kind_of(raw: str, content_type: str) -> str:
    try:
        if content_type == "application/json":
            return request_kind(json.loads(raw), None)
        return request_kind(None, dict(parse_qsl(raw)))
    except ValueError:
        return "other"


def header_refusal(headers: Mapping[str, str], now: float) -> str | None:
    """Why a request cannot be from Slack, judged on its headers alone; None if it may be."""
    signature = headers.get("X-Slack-Signature") or ""
    timestamp = headers.get("X-Slack-Request-Timestamp") or ""
    if not _SIGNATURE.fullmatch(signature) or not _TIMESTAMP.fullmatch(timestamp):
        return "missing or malformed Slack signature headers"
    if abs(now - int(timestamp)) > FRESH_SECONDS:
        return "request timestamp outside Slack's 5-minute window"
    length = headers.get("Content-Length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return "body too large"
    return None


def signature_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@lru_cache(maxsize=128)
def _ack_metrics(kind: str, status: int) -> tuple[Histogram, Counter]:
    """The ack-time histogram and request counter of one (kind, status): looked up once, not
    on every request (`labels` validates and locks each time). Both label sets are closed."""
    return ACK_SECONDS.labels(kind), SLACK_REQUESTS.labels(kind, str(status))


_SHORT_REASONS = {413: "body too large", 408: "body not received in time"}


def _refused(status: int, reason: str) -> web.Response:
    SLACK_REQUESTS.labels("unverified", str(status)).inc()
    log.info("refused a request to /slack/events (%d): %s", status, reason)
    response = web.Response(status=status, text=reason)
    response.force_close()  # the rest of an unread body is not worth reading to keep-alive
    return response


def build_web_app(
    rt: Runtime, bolt: AsyncApp, *, serve_slack: bool, read_timeout: float = 10.0
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[request_log])
    secret_value = rt.settings.slack_signing_secret
    secret = secret_value.get_secret_value() if secret_value else ""

    async def _first_time(signature: str) -> bool | None:
        try:
            return await first_time(rt.db, signature)
        except StorageUnavailable:
            return None

    async def _replayed(signature: str) -> bool:
        """A slash command or interaction already run (see bot.slack.replays).

        Checked before the ack, so bounded: a database that is away or slow must not cost
        Slack's 3-second ack. The check is left to finish in the background rather than
        cancelled (cancelling a query waits on the connection's cleanup), and the request
        runs: whatever it changes fails to be stored anyway, and says so."""
        check = rt.spawn(_first_time(signature), name="replay-check")
        done, _ = await asyncio.wait({check}, timeout=REPLAY_CHECK_SECONDS)
        return bool(done) and check.result() is False

    async def slack_events(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        reason = header_refusal(request.headers, time.time())
        if reason is not None:
            return _refused(413 if reason == "body too large" else 401, reason)
        try:
            raw = await read_body(request, timeout=read_timeout, limit=MAX_BODY_BYTES)
        except BodyRefused as refused:
            return _refused(refused.status, _SHORT_REASONS.get(refused.status, refused.reason))
        timestamp = request.headers["X-Slack-Request-Timestamp"]
        if not signature_valid(secret, timestamp, raw, request.headers["X-Slack-Signature"]):
            return _refused(401, "invalid Slack signature")
        if request.content_type == "application/x-www-form-urlencoded" and await _replayed(
            request.headers["X-Slack-Signature"]
        ):
            SLACK_REQUESTS.labels("replay", "200").inc()
            log.info("a replayed Slack request was acknowledged and not run again")
            return web.Response(status=200)
        try:
            bolt_request = _with_form_fix(await to_bolt_request(request))
        except Exception:  # Bolt cannot even read it (e.g. a JSON body that is not an object)
            SLACK_REQUESTS.labels("malformed", "400").inc()
            return web.Response(status=400, text="malformed request")
        bolt_response = await bolt.async_dispatch(bolt_request)
        if request.content_type == "application/json":  # an event: Bolt has parsed it
            kind = request_kind(bolt_request.body, None)
        else:
            kind = _kind_of(bolt_request.raw_body, request.content_type)
        ack_seconds, requests = _ack_metrics(kind, bolt_response.status)
        ack_seconds.observe(time.perf_counter() - started)
        requests.inc()
        return await to_aiohttp_response(bolt_response)

    async def metrics(_request: web.Request) -> web.Response:
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_request: web.Request) -> web.Response:
        suspended = access_of(rt.client).suspended
        body = {
            "status": "ok",
            "database": "ok" if await rt.db.ping() else "unreachable",
            # Not known until auth.test answers (and, in Socket Mode, the socket is open).
            "slack": "ok" if rt.slack_ready() else "unreachable",
        }
        if suspended is not None:
            body["slack"] = f"{suspended}: Slack refused the bot token; waiting for it to work"
        if body != {"status": "ok", "database": "ok", "slack": "ok"}:
            body["status"] = "unavailable"
            return web.json_response(body, status=503)
        return web.json_response(body)

    if serve_slack:
        app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    handlers.add_routes(app, rt)  # /alerts/..., /webhooks/..., /api/deploy-gate (own body caps)
    return app
