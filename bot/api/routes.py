"""The read API's routes, `/api/v1/...`, and `/mcp`: one table (ROUTES) that both adds them
to the web app and writes the OpenAPI document (bot/api/openapi.py), so neither can drift.

Every route but the OpenAPI document needs `Authorization: Bearer <one of API_TOKENS>`
(bot/api/auth.py); with no API_TOKENS, all of them answer 404. Refusals and bad input answer
a status and `{"error": "<one line>"}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.api.auth import Gate
from bot.api.errors import ApiError, bad_request
from bot.api.incidents_read import (
    IncidentFilter,
    incident_record,
    incident_timeline,
    list_incidents,
    parse_bool,
)
from bot.api.learning_read import search, stats, stats_query
from bot.api.openapi import openapi_document
from bot.api.paging import page_limit
from bot.api.route_table import Answer, ApiRoute, Param
from bot.core.http_bodies import BodyRefused, read_body
from bot.core.runtime import Runtime
from bot.learning.viewer import Viewer

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
MAX_MCP_BODY = 1024 * 1024
GATE = web.AppKey("api_gate", Gate)


def _incident_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise bad_request("the incident id must be a whole number, e.g. /api/v1/incidents/42")
    return int(raw)


def _offset(value: str | None) -> int:
    if not value:
        return 0
    if not value.isdigit():
        raise bad_request("offset must be a whole number from 0")
    return int(value)


async def _list(request: web.Request, rt: Runtime, viewer: Viewer) -> Answer:
    q = request.query
    flt = IncidentFilter.parse(q)
    return await list_incidents(
        rt, viewer, flt, limit=page_limit(q.get("limit")), cursor=q.get("cursor")
    )


async def _one(request: web.Request, rt: Runtime, viewer: Viewer) -> Answer:
    return await incident_record(rt, viewer, _incident_id(request))


async def _timeline(request: web.Request, rt: Runtime, viewer: Viewer) -> Answer:
    q = request.query
    return await incident_timeline(
        rt,
        viewer,
        _incident_id(request),
        limit=page_limit(q.get("limit"), default=100, maximum=1000),
        cursor=q.get("cursor"),
        key_events_only=parse_bool(q.get("key_events"), "key_events"),
    )


async def _search(request: web.Request, rt: Runtime, viewer: Viewer) -> Answer:
    q = request.query
    return await search(
        rt,
        viewer,
        q.get("q") or "",
        limit=page_limit(q.get("limit"), default=10, maximum=50),
        offset=_offset(q.get("offset")),
        drills=parse_bool(q.get("drills"), "drills"),
    )


async def _stats(request: web.Request, rt: Runtime, viewer: Viewer) -> Answer:
    q = request.query
    query = stats_query(q.get("period"), q.get("tag"), parse_bool(q.get("drills"), "drills"))
    return await stats(rt, viewer, query)


def _q(name: str, schema: dict[str, Any], description: str, required: bool = False) -> Param:
    return Param(name, "query", schema, description, required)


_STR = {"type": "string"}
_BOOL = {"type": "boolean", "default": False}
_DRILLS = _q("drills", _BOOL, "Include drills (game days); left out unless true.")
_CURSOR = _q("cursor", _STR, "The next_cursor of the page before.")
_ID = Param("id", "path", {"type": "integer", "minimum": 1}, "The incident's number.", True)

ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute(
        f"{PREFIX}/incidents",
        _list,
        "listIncidents",
        "Incidents, newest first, filtered and paged by cursor",
        "IncidentPage",
        (
            _q("severity", {"enum": ["sev1", "sev2", "sev3", "sev4"]}, "Only this severity."),
            _q(
                "status",
                {
                    "enum": [
                        "open",
                        "investigating",
                        "identified",
                        "mitigated",
                        "monitoring",
                        "resolved",
                    ]
                },
                "Only this status; open is any but resolved.",
            ),
            _q("tag", _STR, "Only incidents with this tag."),
            _q("service", _STR, "Only incidents about this service."),
            _q("from", _STR, "Declared on or after this date (2026-11-01) or time (ISO 8601)."),
            _q("to", _STR, "Declared before this time, or on or before this date."),
            _DRILLS,
            _q(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                "Page size.",
            ),
            _CURSOR,
        ),
    ),
    ApiRoute(
        f"{PREFIX}/incidents/{{id}}",
        _one,
        "getIncident",
        "One incident's whole record, the document of /postmortem export json",
        "IncidentRecord",
        (_ID,),
    ),
    ApiRoute(
        f"{PREFIX}/incidents/{{id}}/timeline",
        _timeline,
        "getTimeline",
        "One incident's timeline in the order it happened, paged by cursor",
        "TimelinePage",
        (
            _ID,
            _q("key_events", _BOOL, "Only key events."),
            _q(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                "Page size.",
            ),
            _CURSOR,
        ),
    ),
    ApiRoute(
        f"{PREFIX}/search",
        _search,
        "searchIncidents",
        "Full-text search, ranked as /postmortem search ranks",
        "SearchResults",
        (
            _q("q", _STR, "The words to search for.", required=True),
            _DRILLS,
            _q(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                "Page size.",
            ),
            _q(
                "offset",
                {"type": "integer", "minimum": 0, "default": 0},
                "The next_offset of the page before.",
            ),
        ),
    ),
    ApiRoute(
        f"{PREFIX}/stats",
        _stats,
        "getStats",
        "The figures of /incident stats over a period, for one tag if given",
        "Stats",
        (
            _q(
                "period",
                {"enum": ["7d", "30d", "90d", "365d", "all"], "default": "30d"},
                "The period.",
            ),
            _q("tag", _STR, "Only incidents with this tag."),
            _DRILLS,
        ),
    ),
)


def _error(exc: ApiError) -> web.Response:
    return web.json_response({"error": exc.reason}, status=exc.status, headers=exc.headers)


def _off() -> web.Response:
    return web.json_response({"error": "the read API is off: set API_TOKENS"}, status=404)


def _handler(
    route: ApiRoute, rt: Runtime, gate: Gate
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        if not gate.enabled:
            return _off()
        try:
            _, viewer = await gate.viewer(request.headers.get("Authorization"))
            answer = await route.read(request, rt, viewer)
        except ApiError as exc:
            return _error(exc)
        if isinstance(answer, str):
            return web.Response(text=answer, content_type="application/json")
        return web.json_response(answer, dumps=lambda d: json.dumps(d, ensure_ascii=False))

    return handle


def add_api_routes(app: web.Application, rt: Runtime) -> None:
    """/api/v1/... and /mcp (both 404 while API_TOKENS is unset)."""
    gate = Gate(rt)
    app[GATE] = gate
    for route in ROUTES:
        app.router.add_get(route.path, _handler(route, rt, gate))
    document = openapi_document(ROUTES)

    async def openapi(_request: web.Request) -> web.Response:
        return web.json_response(document) if gate.enabled else _off()

    app.router.add_get(f"{PREFIX}/openapi.json", openapi)
    _add_mcp(app, rt, gate)


def _add_mcp(app: web.Application, rt: Runtime, gate: Gate) -> None:
    """/mcp. The SDK (some 3 s of imports on a busy machine) is imported only when API_TOKENS
    is set: a bot without the API starts as fast as before."""
    handle: Callable[[web.Request, bytes, Viewer], Awaitable[web.Response]] | None = None
    if gate.enabled:
        from bot.api.mcp_http import McpRunner, call_asgi, session_manager
        from bot.api.mcp_tools import build_mcp

        manager = session_manager(build_mcp(rt))
        runner = McpRunner(manager)
        app.on_startup.append(runner.start)
        app.on_cleanup.append(runner.stop)

        async def handle(request: web.Request, body: bytes, viewer: Viewer) -> web.Response:
            return await call_asgi(manager, request, body, viewer)

    async def mcp(request: web.Request) -> web.Response:
        if handle is None:
            return _off()
        try:
            _, viewer = await gate.viewer(request.headers.get("Authorization"))
            body = await read_body(
                request, timeout=rt.settings.http_read_timeout_seconds, limit=MAX_MCP_BODY
            )
        except ApiError as exc:
            return _error(exc)
        except BodyRefused as exc:
            return web.json_response({"error": exc.reason}, status=exc.status)
        return await handle(request, body, viewer)

    for method in ("GET", "POST", "DELETE"):
        app.router.add_route(method, "/mcp", mcp)
