"""Reactions and pins: the key-event emoji or a pin marks a timeline entry as a key event."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.keyevents import record_pin, record_reaction
from bot.runtime import Runtime
from handlers.before_ack import stored_before_ack


async def _record(rt: Runtime, event: dict[str, Any], _event_id: str | None) -> None:
    added = event["type"].endswith("_added")
    if event["type"].startswith("reaction_"):
        await record_reaction(rt, event, added=added)
    else:
        await record_pin(rt, event, added=added)


def register(app: AsyncApp) -> None:
    recorded_first = [stored_before_ack(_record)]

    @app.event("reaction_added", middleware=recorded_first)
    @app.event("reaction_removed", middleware=recorded_first)
    @app.event("pin_added", middleware=recorded_first)
    @app.event("pin_removed", middleware=recorded_first)
    async def mark_recorded() -> None:
        """Nothing left to do: the middleware recorded the mark and answered Slack."""
