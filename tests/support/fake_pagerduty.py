"""A fake PagerDuty Events API v2 (`POST /v2/enqueue`), served over real HTTP on localhost.

Answers as PagerDuty documents it (developer.pagerduty.com, Events API v2 "Send an Alert
Event"): 202 `{"status": "success", "message": "Event processed", "dedup_key": ...}` for a
valid event; 400 `{"status": "invalid event", "message": "Event object is invalid",
"errors": [...]}` for an invalid one; 429 when throttled (with Retry-After here); 5xx when
it is having trouble. Records every event received; fails on demand.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class Planned:
    status: int
    retry_after: int | None = None
    times: int = 1


class FakePagerDuty:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []  # accepted (202)
        self.received: list[dict[str, Any]] = []  # every request body, answered or not
        self._planned: list[Planned] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v2/enqueue", self._enqueue)
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
        return f"http://127.0.0.1:{self.port}/v2/enqueue"

    def fail(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        """The next `times` events are answered `status` (429, 500, 502, 400...)."""
        self._planned.append(Planned(status, retry_after, times))

    async def wait_for(self, predicate: Any, timeout: float = 10.0, what: str = "events") -> Any:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.received}")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass
            return result

    async def _enqueue(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.received.append(body if isinstance(body, dict) else {"_invalid": True})
        try:
            return self._answer(body)
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _answer(self, body: Any) -> web.Response:
        if self._planned:
            planned = self._planned[0]
            planned.times -= 1
            if planned.times <= 0:
                self._planned.pop(0)
            headers = {"Retry-After": str(planned.retry_after)} if planned.retry_after else {}
            if planned.status == 400:
                return _invalid(["Planned refusal"])
            return web.json_response(
                {"status": "throttled" if planned.status == 429 else "error", "message": "planned"},
                status=planned.status,
                headers=headers,
            )
        errors = _problems(body)
        if errors:
            return _invalid(errors)
        self.events.append(body)
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]},
            status=202,
        )


def _invalid(errors: list[str]) -> web.Response:
    return web.json_response(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
        status=400,
    )


def _problems(body: Any) -> list[str]:
    """The checks PagerDuty documents for an event."""
    if not isinstance(body, dict):
        return ["Event object is not a JSON object"]
    errors = []
    if not isinstance(body.get("routing_key"), str) or not body["routing_key"]:
        errors.append("'routing_key' is missing or blank")
    if body.get("event_action") not in ACTIONS:
        errors.append("'event_action' is invalid")
    dedup = body.get("dedup_key")
    if body.get("event_action") != "trigger" and not dedup:
        errors.append("'dedup_key' is required for acknowledge and resolve")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if body.get("event_action") == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary or len(summary) > 1024:
                errors.append("'payload.summary' is missing or over 1024 characters")
            if not payload.get("source"):
                errors.append("'payload.source' is missing")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' is invalid")
    return errors
