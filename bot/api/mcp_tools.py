"""The MCP server's tools: the read API for an AI assistant, under the same tokens.

Each tool is read-only and answers JSON text of at most MAX_ANSWER characters: a list comes
back with fewer items (and the cursor or offset of the rest) until it fits; an incident's
record comes in slices of that size (`offset` asks for the next). Who asks decides what they
see: over HTTP the viewer the bearer token makes (bot/api/mcp_http.py puts it on the
request), over stdio the one `python -m bot mcp` was started as.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from bot.api.errors import ApiError
from bot.api.incidents_read import (
    IncidentFilter,
    incident_outline,
    incident_timeline,
    list_incidents,
)
from bot.api.learning_read import has_schedules, on_call, search, similar
from bot.api.paging import page_limit
from bot.core.runtime import Runtime
from bot.learning.viewer import Viewer

MAX_ANSWER = 20_000
VIEWER_KEY = "sisyphus.viewer"  # where the HTTP bridge puts the token's viewer in the scope
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
INSTRUCTIONS = (
    "Sisyphus's incident record: past and open incidents, their timelines, postmortems and "
    "similar incidents. Read-only. Long answers come in pages: pass the returned cursor or "
    "offset to get more."
)


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


async def _fitting(ask: Callable[[int], Awaitable[dict[str, Any]]], limit: int) -> str:
    """Ask for `limit` items; while the answer is too long, ask for half as many."""
    while True:
        text = _dumps(await ask(limit))
        if len(text) <= MAX_ANSWER or limit == 1:
            return text if len(text) <= MAX_ANSWER else _dumps(_too_long())
        limit = max(1, limit // 2)


def _too_long() -> dict[str, Any]:
    return {"error": f"one item is longer than {MAX_ANSWER} characters; use get_incident"}


def slice_text(text: str, offset: int) -> str:
    """A record longer than MAX_ANSWER, in slices: the text, and the offset of the rest."""
    if offset < 0 or (offset and offset >= len(text)):
        raise ToolError(f"offset must be from 0 to {max(0, len(text) - 1)}")
    part = text[offset : offset + MAX_ANSWER]
    rest = offset + len(part) if offset + len(part) < len(text) else None
    return _dumps({"total_chars": len(text), "offset": offset, "next_offset": rest, "text": part})


def build_mcp(rt: Runtime, stdio_viewer: Viewer | None = None) -> MCPServer:
    """The server; `stdio_viewer` is who a request with no HTTP request behind it reads as."""
    server: MCPServer = MCPServer(
        "sisyphus", instructions=INSTRUCTIONS, version="1", log_level="WARNING"
    )

    def viewer_of(ctx: Context) -> Viewer:
        request = ctx.request_context.request
        scope = getattr(request, "scope", None)
        if scope is not None:
            found = scope.get(VIEWER_KEY)
            if isinstance(found, Viewer):
                return found
            raise ToolError("not signed in")  # never reached: the bridge checks the token
        if stdio_viewer is None:
            raise ToolError("not signed in")
        return stdio_viewer

    async def answer(call: Callable[[], Awaitable[str]]) -> str:
        try:
            return await call()
        except ApiError as exc:
            raise ToolError(exc.reason) from None

    @server.tool(annotations=READ_ONLY)
    async def search_incidents(
        query: str, ctx: Context, limit: int = 10, offset: int = 0, drills: bool = False
    ) -> str:
        """Search past incidents (titles, postmortems, timelines, action items) with the same
        ranking as `/postmortem search`; best first, with a snippet (matches in **bold**).
        Pass next_offset back as offset for more."""
        viewer = viewer_of(ctx)

        async def ask(size: int) -> dict[str, Any]:
            return await search(rt, viewer, query, limit=size, offset=offset, drills=drills)

        return await answer(lambda: _fitting(ask, page_limit(limit, maximum=50)))

    @server.tool(annotations=READ_ONLY)
    async def get_incident(incident_id: int, ctx: Context, offset: int = 0) -> str:
        """One incident's record as `/postmortem export json` gives it (facts, roles,
        postmortem, action items, update prompts), without its timeline (get_timeline pages
        it). A long record comes in slices: pass next_offset back as offset."""
        viewer = viewer_of(ctx)

        async def call() -> str:
            return slice_text(_dumps(await incident_outline(rt, viewer, incident_id)), offset)

        return await answer(call)

    @server.tool(annotations=READ_ONLY)
    async def get_timeline(
        incident_id: int,
        ctx: Context,
        cursor: str | None = None,
        limit: int = 50,
        key_events_only: bool = False,
    ) -> str:
        """An incident's timeline in the order it happened. Pass next_cursor back as cursor."""
        viewer = viewer_of(ctx)

        async def ask(size: int) -> dict[str, Any]:
            return await incident_timeline(
                rt, viewer, incident_id, limit=size, cursor=cursor, key_events_only=key_events_only
            )

        return await answer(lambda: _fitting(ask, page_limit(limit)))

    @server.tool(annotations=READ_ONLY)
    async def list_open_incidents(
        ctx: Context, cursor: str | None = None, limit: int = 20, drills: bool = False
    ) -> str:
        """The incidents not yet resolved, newest first. Pass next_cursor back as cursor."""
        viewer = viewer_of(ctx)
        flt = IncidentFilter(status="open", drills=drills)

        async def ask(size: int) -> dict[str, Any]:
            return await list_incidents(rt, viewer, flt, limit=size, cursor=cursor)

        return await answer(lambda: _fitting(ask, page_limit(limit)))

    @server.tool(annotations=READ_ONLY)
    async def similar_incidents(incident_id: int, ctx: Context, limit: int = 5) -> str:
        """Past incidents like this one (by its title and description), best first."""
        viewer = viewer_of(ctx)

        async def ask(size: int) -> dict[str, Any]:
            return await similar(rt, viewer, incident_id, limit=size)

        return await answer(lambda: _fitting(ask, page_limit(limit, maximum=20)))

    if has_schedules(rt):

        @server.tool(annotations=READ_ONLY)
        async def who_is_on_call(ctx: Context) -> str:
            """Who is on call now, and who comes next, for each on-call schedule."""
            viewer_of(ctx)  # signed in, whoever it is: the schedules are not private
            return await answer(lambda: _fitting(lambda _: on_call(rt), 1))

    return server
