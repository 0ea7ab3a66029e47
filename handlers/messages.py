"""Message events: every message in an incident channel is stored before Slack's ack."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.timeline import MessageCapture
from handlers.before_ack import store_before_ack


def register(app: AsyncApp) -> None:
    store_before_ack(app, frozenset({"message"}), MessageCapture().handle)

    @app.event("message")
    async def message_recorded() -> None:
        """Already stored before the ack (see store_before_ack); nothing left to do."""
