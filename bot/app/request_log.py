"""The bot's own request log, in place of aiohttp's access log (issue 23).

aiohttp's access log writes the request line with its query string (`/webhooks/jira?secret=`)
and header values chosen by the sender (a 7 KB User-Agent). This writes one short line per
request instead: method, route, status, size, duration and a request id, nothing the sender
chose beyond the method and a path cut short. The query string and the headers are never read
here. `/healthz` and `/metrics`, polled all day, are logged at DEBUG.

It is on every request's path, Slack's events first among them, so it costs next to nothing
when its line is not written: the request id is a per-process prefix and a counter (not a
uuid4 per request), and the route is cleaned only for a line that is written, once per route.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache

from aiohttp import web

from bot.core.logs import bind_request

log = logging.getLogger("bot.requests")

MAX_PATH = 80
QUIET_PATHS = ("/healthz", "/metrics")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# 12 hex digits, unique within the process (6 random, then a counter) and across replicas
# but for a one-in-16-million chance at start-up: what the log needs to tell requests apart.
_PREFIX = secrets.token_hex(3)
_COUNTER = itertools.count()


def _request_id() -> str:
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFF:06x}"


def _path(request: web.Request) -> str:
    """The route's pattern when one matched, else the path (never the query), cut short."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    if resource is not None:
        return _clean_route(resource.canonical)
    return _clean(request.path)


def _clean(path: str) -> str:
    path = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in path)
    return path if len(path) <= MAX_PATH else path[: MAX_PATH - 1] + "…"


# The routes' patterns are a handful: each cleaned once. (A path the sender chose is not kept.)
_clean_route = lru_cache(maxsize=64)(_clean)


def _size(response: web.StreamResponse) -> int:
    if response.prepared:
        return response.body_length
    return response.content_length or 0


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = _request_id()
    bind_request(request_id)  # the handler's own lines carry it too
    started = time.perf_counter()
    status, response = 500, None
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        if log.isEnabledFor(level):
            method = request.method if request.method.isalpha() else "?"
            log.log(
                level,
                "%s %s %d %dB %.0fms request=%s",
                method[:10],
                _path(request),
                status,
                _size(response) if response is not None else 0,
                (time.perf_counter() - started) * 1000,
                request_id,
            )
