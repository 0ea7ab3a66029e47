"""Listener middleware that stores an event before Slack gets its answer.

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

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.core.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

Store = Callable[[Runtime, dict[str, Any], str | None], Awaitable[Any]]
Middleware = Callable[..., Awaitable[BoltResponse]]


def stored_before_ack(store: Store) -> Middleware:
    async def store_then_ack(body: dict[str, Any], context: AsyncBoltContext) -> BoltResponse:
        event = body.get("event")
        rt: Runtime = context["runtime"]
        try:
            async with rt.in_flight():  # a graceful stop lets it finish
                await store(rt, event if isinstance(event, dict) else {}, _event_id(body))
        except StorageUnavailable:
            return BoltResponse(status=503, body="storage unavailable; please retry")
        except Exception:
            # Not a known outage; still not stored, so let Slack try again.
            log.exception("could not record a %s event", _event_type(event))
            return BoltResponse(status=500, body="could not record the event")
        return BoltResponse(status=200, body="")

    return store_then_ack


def _event_id(body: dict[str, Any]) -> str | None:
    value = body.get("event_id")
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def _event_type(event: Any) -> str:
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else "unknown"
