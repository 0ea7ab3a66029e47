"""Storing an event before Slack gets its ack, for events that must not be lost.

Bolt acks events before their listener runs, so a failure in the listener is invisible to
Slack. A global middleware runs before that ack instead: it stores the event, and if the
database is unreachable it answers 503, which makes Slack deliver the event again (over
HTTP, Slack retries non-2xx answers; in Socket Mode an event that is not acked is retried).
One middleware serves every event type registered here (each middleware costs every request).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

Store = Callable[[Runtime, dict[str, Any], str | None], Awaitable[Any]]
_STORES = "_sisyphus_stores_before_ack"


def store_before_ack(app: AsyncApp, event_types: frozenset[str], store: Store) -> None:
    stores: dict[str, Store] | None = getattr(app, _STORES, None)
    if stores is None:
        stores = {}
        setattr(app, _STORES, stores)
        app.use(_middleware(stores))
    for event_type in event_types:
        stores[event_type] = store


def _middleware(stores: dict[str, Store]) -> Callable[..., Awaitable[Any]]:
    async def store_event(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        event = body.get("event") if body.get("type") == "event_callback" else None
        kind = event.get("type") if isinstance(event, dict) else None
        store = stores.get(kind) if isinstance(kind, str) else None
        if store is not None:
            rt: Runtime = context["runtime"]
            try:
                async with rt.in_flight():  # a graceful stop lets it finish
                    await store(rt, event, _event_id(body))  # type: ignore[arg-type]
            except StorageUnavailable:
                return BoltResponse(status=503, body="storage unavailable; please retry")
            except Exception:
                # Not a known outage; still not stored, so let Slack try again.
                log.exception("could not record a %s event", kind)
                return BoltResponse(status=500, body="could not record the event")
        return await next()

    return store_event


def _event_id(body: dict[str, Any]) -> str | None:
    value = body.get("event_id")
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None
