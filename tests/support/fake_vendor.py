"""What the fake GitHub and Jira share: a local aiohttp server that records each request,
fails on demand (429 with Retry-After, 5xx, or a refusal such as 401/404/422) and can be slow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    times: int = 1
    body: Any = None


class FakeVendor:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.answered = 0  # create calls answered (or dropped), counted when they end
        self._failures: list[Failure] = []
        self._delay = 0.0
        self._lost_if_caller_leaves = False
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- test controls -------------------------------------------------------------------------
    def fail(
        self, status: int, *, retry_after: int | None = None, times: int = 1, body: Any = None
    ) -> None:
        """The next `times` create calls answer `status` (recorded, never taking effect)."""
        self._failures.append(Failure(status, retry_after, times, body))

    def delay(self, seconds: float, *, lost_if_caller_leaves: bool = False) -> None:
        """Answer creates after `seconds`; with `lost_if_caller_leaves`, a create whose caller
        hung up (or died) meanwhile never takes effect, as if the vendor never got it."""
        self._delay = seconds
        self._lost_if_caller_leaves = lost_if_caller_leaves

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; {len(self.requests)} req")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- the create call's common part ---------------------------------------------------------
    async def record(self, request: web.Request) -> tuple[Request, web.Response | None]:
        """Record the request; the failure or hang-up to answer with, if any."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        seen = Request(request.method, request.path, dict(request.headers), body)
        self.requests.append(seen)
        await self.notify()
        if self._delay:
            lost = self._lost_if_caller_leaves
            await asyncio.sleep(self._delay)
            gone = request.transport is None or request.transport.is_closing()
            if gone and lost:
                return seen, web.Response(status=499, text="client went away")
        if self._failures:
            failure = self._failures[0]
            failure.times -= 1
            if failure.times <= 0:
                self._failures.pop(0)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            if failure.status >= 500:
                return seen, web.Response(status=failure.status, text="upstream failure")
            return seen, web.json_response(
                failure.body if failure.body is not None else self.error_body(failure.status),
                status=failure.status,
                headers=headers,
            )
        return seen, None

    def error_body(self, status: int) -> Any:
        return {}

    def recover(self) -> None:
        """Drop the failures still queued: from now on calls succeed."""
        self._failures.clear()
