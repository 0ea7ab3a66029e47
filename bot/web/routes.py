"""The web archive's routes. Without SLACK_CLIENT_ID none is added (`/` answers 404).

Every page answers with the security headers (a Content-Security-Policy allowing no script at
all, no third-party asset, no framing); an unsigned visitor gets the sign-in page (401) for
every archive page, and a refused page gets a 4xx with a one-line reason. The sign-in start and
callback are rate-limited per client address (WEB_AUTH_RATE_PER_MINUTE; over it, 429).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.core.rate import RateBuckets
from bot.core.runtime import Runtime
from bot.web import auth, pages, stats_page
from bot.web.render import SECURITY_HEADERS, page
from bot.web.session import PageRefused, Reader, current_reader
from storage import StorageUnavailable

log = logging.getLogger(__name__)

STYLESHEET = Path(__file__).with_name("static") / "web.css"
Page = Callable[[Runtime, web.Request, Reader], Awaitable[str | web.Response]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


def refused(status: int, reason: str) -> web.Response:
    return html(page("refused.html.j2", status=status, reason=reason), status)


def signed_in_page(rt: Runtime, render: Page) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            reader = await current_reader(rt, request)
            if reader is None:
                return html(page("signin.html.j2", next=request.path_qs), 401)
            body = await render(rt, request, reader)
            if isinstance(body, web.Response):  # a picture
                body.headers.update(SECURITY_HEADERS)
                return body
            return html(body)
        except PageRefused as refusal:
            return refused(refusal.status, refusal.reason)
        except StorageUnavailable:
            return refused(503, "the database is unavailable; try again shortly")

    return handler


def with_headers(
    rt: Runtime, call: Callable[[Runtime, web.Request], Awaitable[web.StreamResponse]]
) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            response = await call(rt, request)
        except StorageUnavailable:
            return refused(503, "the database is unavailable; try again shortly")
        response.headers.update(SECURITY_HEADERS)
        return response

    return handler


def rate_limited(rt: Runtime, handler: Handler, buckets: RateBuckets) -> Handler:
    """At most WEB_AUTH_RATE_PER_MINUTE requests a minute from one client address (the direct
    peer, `request.remote`: behind a proxy all clients share the proxy's one limit)."""

    async def limited(request: web.Request) -> web.StreamResponse:
        wait = buckets.take(request.remote or "unknown")
        if wait:
            response = refused(
                429,
                f"too many sign-in attempts from this address (over WEB_AUTH_RATE_PER_MINUTE, "
                f"{rt.settings.web_auth_rate_per_minute}); try again in {wait} s",
            )
            response.headers["Retry-After"] = str(wait)
            return response
        return await handler(request)

    return limited


async def stylesheet(_request: web.Request) -> web.StreamResponse:
    return web.Response(
        text=STYLESHEET.read_text(encoding="utf-8"),
        content_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def add_web_routes(app: web.Application, rt: Runtime) -> None:
    if not rt.settings.slack_client_id:
        return
    app.router.add_get("/", signed_in_page(rt, pages.archive))
    app.router.add_get("/incidents/{incident_id}", signed_in_page(rt, pages.incident))
    app.router.add_get("/incidents/{incident_id}/postmortem", signed_in_page(rt, pages.postmortem))
    app.router.add_get("/stats", signed_in_page(rt, stats_page.stats))
    app.router.add_get("/stats/chart.png", signed_in_page(rt, stats_page.chart))
    buckets = RateBuckets(rt.settings.web_auth_rate_per_minute)  # the start and callback share it
    app.router.add_get("/auth/login", rate_limited(rt, with_headers(rt, auth.login), buckets))
    callback = with_headers(rt, auth.callback)
    app.router.add_get(auth.CALLBACK_PATH, rate_limited(rt, callback, buckets))
    app.router.add_post("/auth/logout", with_headers(rt, auth.logout))
    app.router.add_get("/web/static/web.css", stylesheet)
