"""Thin Slack listeners, one module per surface. Each reads the payload, calls bot/, answers."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.alerts import listeners as alert_listeners
from handlers import actions, commands, messages, reactions, views


def register_all(app: AsyncApp) -> None:
    # Message events are the most frequent requests by far: their listener is matched first.
    for surface in (messages, reactions, commands, actions, views):
        surface.register(app)
    alert_listeners.register(app)
