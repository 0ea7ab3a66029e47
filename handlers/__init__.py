"""Thin Slack listeners, one module per surface. Each reads the payload, calls bot/, answers."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import actions, commands, views


def register_all(app: AsyncApp) -> None:
    for surface in (commands, actions, views):
        surface.register(app)
