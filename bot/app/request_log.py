"""The bot's own request log, in place of aiohttp's access log (issue 23).

aiohttp's access log writes the request line with its query string (`/webhooks/jira?secret=`)
and header values chosen by the sender (a 7 KB User-Agent). This writes one short line per
request instead: method, route, status, size, duration and a request id, nothing the sender
chose beyond the method and a path cut short. The query string and the headers are never read
here. `/healthz` and `/metrics`, polled all day, are logged at DEBUG.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.logs import bind_request

log = logging.getLogger("bot.requests")

MAX_PATH = 80
QUIET_PATHS = ("/healthz", "/metrics")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _path(request: web.Request) -> str:
    """The route's pattern when one matched, else the path (never the query), cut short."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    path = resource.canonical if resource is not None else request.path
    path = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in path)
    return path if len(path) <= MAX_PATH else path[: MAX_PATH - 1] + "…"


def _size(response: web.StreamResponse) -> int:
    if response.prepared:
        return response.body_length
    return response.content_length or 0


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = uuid.uuid4().hex[:12]
    bind_request(request_id)  # the handler's own lines carry it too
    started = time.perf_counter()
    status, size = 500, 0
    try:
        response = await handler(request)
        status, size = response.status, _size(response)
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        method = request.method if request.method.isalpha() else "?"
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        log.log(
            level,
            "%s %s %d %dB %.0fms request=%s",
            method[:10],
            _path(request),
            status,
            size,
            (time.perf_counter() - started) * 1000,
            request_id,
        )
