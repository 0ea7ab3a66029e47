"""Reading a request body the one way every route does: within a deadline and under a cap,
then JSON that cannot exhaust the parser.

A client that sends headers and then a trickle (or nothing) is answered 408 once
HTTP_READ_TIMEOUT_SECONDS have passed, wherever it is sent: a webhook route that reads the body
before it can check the signature would otherwise hold the connection (and a file descriptor)
for as long as the client likes. A body over 1 MiB is refused on its Content-Length, or as soon
as more than that has arrived. JSON nested deeper than any webhook needs is refused before
anything walks it: the parser itself, or code reading the result, would otherwise end in a
RecursionError and a 500.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32  # Alertmanager, PagerDuty, GitHub and Jira nest far less
TOO_DEEP = f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)"


class BodyRefused(Exception):
    """The body cannot be used: answer `status` with the one-line `reason`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def too_large(request: web.Request, limit: int = MAX_BODY_BYTES) -> bool:
    """Refusable on the headers alone: a Content-Length over the cap."""
    return request.content_length is not None and request.content_length > limit


async def read_body(request: web.Request, *, timeout: float, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, received within `timeout` seconds and at most `limit` bytes (the
    application's client_max_size caps what aiohttp reads at all). Read with request.read(),
    which keeps it: Bolt's adapter reads the same body again.

    Raises BodyRefused: 413 (too large), 408 (not received in time)."""
    if too_large(request, limit):
        raise BodyRefused(413, f"body too large: at most {limit} bytes")
    try:
        if request.content.is_eof():  # all of it came with the headers: nothing to wait for
            body = await request.read()
        else:
            async with asyncio.timeout(timeout):
                body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyRefused(413, f"body too large: at most {limit} bytes") from None
    except TimeoutError:
        raise BodyRefused(408, "body not received in time") from None
    if len(body) > limit:
        raise BodyRefused(413, f"body too large: at most {limit} bytes")
    return body


def refusal_response(refused: BodyRefused) -> web.Response:
    response = web.Response(status=refused.status, text=refused.reason + "\n")
    if refused.status in (408, 413):
        response.force_close()  # the rest of an unread body is not worth reading to keep-alive
    return response


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether containers nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object of bounded depth, or BodyRefused(400) with the reason."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BodyRefused(400, TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError):
        raise BodyRefused(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise BodyRefused(400, "body is not a JSON object")
    if json_depth_exceeds(data):
        raise BodyRefused(400, TOO_DEEP)
    return data
