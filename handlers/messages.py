"""Message events: every message in an incident channel is stored before Slack's ack."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.timeline import MessageCapture
from handlers.before_ack import stored_before_ack


def register(app: AsyncApp) -> None:
    @app.event("message", middleware=[stored_before_ack(MessageCapture().handle)])
    async def message_stored() -> None:
        """Nothing left to do: the middleware stored the message and answered Slack."""
