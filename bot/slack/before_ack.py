"""Middleware that stores an event before Slack gets its answer (for a listener, or for the
whole app with `only`, as message events are: they skip Bolt's listener matching).

Bolt acks an event before its listener runs, so a failure in the listener is invisible to
Slack. This middleware runs first and answers Slack itself: 200 once the event is stored,
503 if the database is unreachable (Slack then delivers the event again; in Socket Mode an
event that is not acked is retried too), 500 for any other failure (also retried). The
listener it guards has nothing left to do. (Bolt hands a request to the first listener that
matches it, so this costs other listeners nothing they would otherwise have had.)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.core.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

Store = Callable[[Runtime, dict[str, Any], str | None], Awaitable[Any]]


def stored_before_ack(store: Store, *, only: str | None = None) -> AsyncMiddleware:
    """The middleware, for a listener; with `only` (an event type), for the whole app: it
    answers events of that type before Bolt matches any listener, and passes the rest on."""
    return StoredBeforeAck(store, only)


class StoredBeforeAck(AsyncMiddleware):
    """A middleware class, called by Bolt as it is (a function middleware has its arguments
    worked out from its signature on every request: a cost on the busiest path)."""

    def __init__(self, store: Store, only: str | None = None) -> None:
        self.store = store
        self.only = only

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        body = req.body
        event = body.get("event")
        if self.only is not None and not (
            body.get("type") == "event_callback"
            and isinstance(event, dict)
            and event.get("type") == self.only
        ):
            return await next()
        rt: Runtime = req.context["runtime"]
        try:
            async with rt.in_flight():  # a graceful stop lets it finish
                await self.store(rt, event if isinstance(event, dict) else {}, _event_id(body))
        except StorageUnavailable:
            return BoltResponse(status=503, body="storage unavailable; please retry")
        except Exception:
            # Not a known outage; still not stored, so let Slack try again.
            log.exception("could not record a %s event", _event_type(event))
            return BoltResponse(status=500, body="could not record the event")
        return BoltResponse(status=200, body="")


def _event_id(body: dict[str, Any]) -> str | None:
    value = body.get("event_id")
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def _event_type(event: Any) -> str:
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else "unknown"
