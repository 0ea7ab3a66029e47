"""The HTTP surface: `/slack/events` (HTTP mode), `/healthz` (both modes)."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime


def build_web_app(rt: Runtime, bolt: AsyncApp, *, serve_slack: bool) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        if await rt.db.ping():
            return web.json_response({"status": "ok", "database": "ok"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    if serve_slack:
        app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app
