"""`/mcp`: the MCP server's streamable HTTP transport, served by our own aiohttp server.

The SDK's transport is an ASGI application. Rather than a second server on another port, or a
general ASGI adapter for aiohttp, each request to /mcp is checked here first (the bearer
token, its rate: the same gate as the read API), then handed whole to the SDK's session
manager as one ASGI call, and its answer returned whole. That is robust because the manager
runs *stateless with JSON responses*: every POST is a self-contained JSON-RPC exchange
answered by one JSON body, so no stream outlives its request, no session lives in this
process (any replica answers any request), and nothing the SDK does can hold a connection of
ours open. A GET (the optional server-to-client event stream) is answered 405 by the SDK.

The manager's task group runs in a task of its own for the life of the web app (anyio's
scopes must be entered and left in one task: aiohttp's startup and cleanup are two).
The Authorization header is taken out before the SDK sees the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import MutableMapping
from typing import Any

from aiohttp import web
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from bot.api.mcp_tools import VIEWER_KEY
from bot.learning.viewer import Viewer

log = logging.getLogger(__name__)

MAX_MCP_BODY = 1024 * 1024  # as bot/api/routes.py reads it
_HIDDEN_HEADERS = frozenset({b"authorization", b"cookie"})


def session_manager(server: Any) -> StreamableHTTPSessionManager:
    """The SDK's manager for this server: stateless, JSON answers. The bearer tokens already
    stand between a browser and /mcp, so the SDK's Host and Origin allow-lists (made for
    servers on localhost without authentication) are off: the bot's host is the deployment's."""
    server.streamable_http_app(
        json_response=True,
        stateless_http=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=MAX_MCP_BODY,
    )
    manager: StreamableHTTPSessionManager = server.session_manager
    return manager


class McpRunner:
    """Runs the manager's task group from the web app's startup to its cleanup."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.manager.run():
            self._ready.set()
            await self._stop.wait()

    async def start(self, _app: web.Application) -> None:
        self._task = asyncio.create_task(self._run(), name="mcp-session-manager")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._task.done():
            self._task.result()  # it failed to start: say why

    async def stop(self, _app: web.Application) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=5)

    @property
    def running(self) -> bool:
        return self._ready.is_set() and self._task is not None and not self._task.done()


def _scope(request: web.Request, viewer: Viewer) -> dict[str, Any]:
    headers = [
        (name.lower(), value)
        for name, value in request.raw_headers
        if name.lower() not in _HIDDEN_HEADERS
    ]
    peer = request.transport.get_extra_info("peername") if request.transport else None
    host, _, port = (request.host or "localhost").partition(":")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode(),
        "query_string": request.query_string.encode(),
        "root_path": "",
        "headers": headers,
        "client": (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None,
        "server": (host, int(port) if port.isdigit() else 80),
        "state": {},
        VIEWER_KEY: viewer,
    }


async def call_asgi(
    manager: StreamableHTTPSessionManager, request: web.Request, body: bytes, viewer: Viewer
) -> web.Response:
    """One ASGI call of the manager: the body in, the whole answer out."""
    finished = asyncio.Event()
    delivered = False
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()  # the client is gone only once the answer is sent
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers.extend(
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await manager.handle_request(_scope(request, viewer), receive, send)
    finally:
        finished.set()
    response = web.Response(status=status, body=b"".join(chunks))
    for name, value in headers:
        if name.lower() not in ("content-length", "transfer-encoding", "connection"):
            response.headers.add(name, value)
    return response
