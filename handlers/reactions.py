"""Reactions and pins: the key-event emoji or a pin marks a timeline entry as a key event."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.keyevents import record_pin, record_reaction
from bot.runtime import Runtime
from handlers.before_ack import store_before_ack

EVENTS = frozenset({"reaction_added", "reaction_removed", "pin_added", "pin_removed"})


async def _record(rt: Runtime, event: dict[str, Any], _event_id: str | None) -> None:
    added = event["type"].endswith("_added")
    if event["type"].startswith("reaction_"):
        await record_reaction(rt, event, added=added)
    else:
        await record_pin(rt, event, added=added)


def register(app: AsyncApp) -> None:
    store_before_ack(app, EVENTS, _record)

    @app.event("reaction_added")
    @app.event("reaction_removed")
    @app.event("pin_added")
    @app.event("pin_removed")
    async def mark_recorded() -> None:
        """Already recorded before the ack (see store_before_ack); nothing left to do."""
