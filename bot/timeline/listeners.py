"""The timeline's Slack listeners: messages are stored, and key-event reactions and pins recorded,
before Slack gets its ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core.runtime import Runtime
from bot.slack.before_ack import stored_before_ack
from bot.timeline.capture import MessageCapture
from bot.timeline.keyevents import record_pin, record_reaction


async def _record_mark(rt: Runtime, event: dict[str, Any], _event_id: str | None) -> None:
    added = event["type"].endswith("_added")
    if event["type"].startswith("reaction_"):
        await record_reaction(rt, event, added=added)
    else:
        await record_pin(rt, event, added=added)


def register(app: AsyncApp) -> None:
    # Message events are the most frequent requests by far: their listener is matched first.
    @app.event("message", middleware=[stored_before_ack(MessageCapture().handle)])
    async def message_stored() -> None:
        """Nothing left to do: the middleware stored the message and answered Slack."""

    marked_first = [stored_before_ack(_record_mark)]

    @app.event("reaction_added", middleware=marked_first)
    @app.event("reaction_removed", middleware=marked_first)
    @app.event("pin_added", middleware=marked_first)
    @app.event("pin_removed", middleware=marked_first)
    async def mark_recorded() -> None:
        """Nothing left to do: the middleware recorded the mark and answered Slack."""
