"""The HTTP surface: `/slack/events` (HTTP mode), `/healthz` (both modes)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.core.metrics import ACK_SECONDS, SLACK_REQUESTS, request_kind
from bot.core.runtime import Runtime
from bot.postmortem.followthrough.http import add_routes as add_followthrough_routes
from bot.slack.access import access_of


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


def build_web_app(rt: Runtime, bolt: AsyncApp, *, serve_slack: bool) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            bolt_request = _with_form_fix(await to_bolt_request(request))
        except Exception:  # Bolt cannot even read it (e.g. a JSON body that is not an object)
            SLACK_REQUESTS.labels("malformed", "400").inc()
            return web.Response(status=400, text="malformed request")
        bolt_response = await bolt.async_dispatch(bolt_request)
        kind = _kind_of(bolt_request.raw_body, request.content_type)
        ACK_SECONDS.labels(kind).observe(time.perf_counter() - started)
        SLACK_REQUESTS.labels(kind, str(bolt_response.status)).inc()
        return await to_aiohttp_response(bolt_response)

    async def metrics(_request: web.Request) -> web.Response:
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_request: web.Request) -> web.Response:
        database = "ok" if await rt.db.ping() else "unreachable"
        suspended = access_of(rt.client).suspended
        if database == "ok" and suspended is None:
            return web.json_response({"status": "ok", "database": "ok"})
        body = {"status": "unavailable", "database": database}
        if suspended is not None:
            body["slack"] = f"{suspended}: Slack refused the bot token; waiting for it to work"
        return web.json_response(body, status=503)

    if serve_slack:
        app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    add_followthrough_routes(app, rt)  # /api/deploy-gate, /webhooks/github, /webhooks/jira
    return app
