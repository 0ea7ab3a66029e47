"""Message events: every message in an incident channel is stored before Slack's ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from bot.timeline import OutageWatch, capture_and_watch
from handlers.before_ack import store_before_ack


def register(app: AsyncApp) -> None:
    watch = OutageWatch()

    async def capture(rt: Runtime, event: dict[str, Any], event_id: str | None) -> None:
        await capture_and_watch(rt, event, event_id, watch)

    store_before_ack(app, frozenset({"message"}), capture)

    @app.event("message")
    async def message_recorded() -> None:
        """Already stored before the ack (see store_before_ack); nothing left to do."""
