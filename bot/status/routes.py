"""`GET /status`, `GET /status/incidents/<public id>` and the Statuspage-compatible JSON under
`/status/api/v2/` (status, summary, components, incidents, incidents/unresolved), and the page's
one script (`/status/static/local-times.js`, the times in the reader's zone): served from
the kept renderings (snapshots.py) with an ETag (`If-None-Match` answers 304) and
`Cache-Control: public, max-age=30`, also while the database is unreachable.

No `status_page` section: every route answers 404, in one line.
"""

from __future__ import annotations

import re
from email.utils import format_datetime

from aiohttp import web

from bot.core.runtime import Runtime
from bot.status.config import status_page
from bot.status.render import SCRIPT_PATH
from bot.status.snapshots import lookup
from storage import StorageUnavailable

PAGE_OFF = "the status page is off: the configuration file has no status_page section"
NOT_FOUND = "no such page on the status page"
PUBLIC_ID = re.compile(r"^[0-9a-f]{12}$")
JSON_DOCS = (
    "status.json",
    "summary.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
CACHE = "public, max-age=30"


def _line(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason + "\n")


async def serve(rt: Runtime, request: web.Request, path: str) -> web.Response:
    config = status_page(rt)
    if config is None:
        return _line(404, PAGE_OFF)
    try:
        found = await lookup(rt, config, path)
    except StorageUnavailable:
        return _line(503, "the status page is not rendered yet and the database is unavailable")
    if found is None:
        return _line(404, NOT_FOUND)
    headers = {
        "ETag": found.etag,
        "Cache-Control": CACHE,
        "Last-Modified": format_datetime(found.rendered_at, usegmt=True),
        "X-Content-Type-Options": "nosniff",
    }
    if found.content_type == "text/html":
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; script-src 'self'"
        )
    else:
        headers["Access-Control-Allow-Origin"] = "*"  # widgets on other sites read it
    if found.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(
        text=found.body, content_type=found.content_type, charset="utf-8", headers=headers
    )


def add_status_routes(app: web.Application, rt: Runtime) -> None:
    async def page(request: web.Request) -> web.StreamResponse:
        return await serve(rt, request, "/status")

    async def incident(request: web.Request) -> web.StreamResponse:
        public_id = request.match_info["public_id"]
        if not PUBLIC_ID.match(public_id):
            return _line(404, NOT_FOUND)
        return await serve(rt, request, f"/status/incidents/{public_id}")

    async def feed(request: web.Request) -> web.StreamResponse:
        return await serve(rt, request, "/status/feed.atom")

    async def script(request: web.Request) -> web.StreamResponse:
        return await serve(rt, request, SCRIPT_PATH)

    async def document(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in JSON_DOCS:
            return _line(404, NOT_FOUND)
        return await serve(rt, request, f"/status/api/v2/{name}")

    app.router.add_get("/status", page)
    app.router.add_get("/status/", page)
    app.router.add_get("/status/incidents/{public_id}", incident)
    app.router.add_get("/status/feed.atom", feed)
    app.router.add_get(SCRIPT_PATH, script)
    app.router.add_get("/status/api/v2/{name:.+}", document)
