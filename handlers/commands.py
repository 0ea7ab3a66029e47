"""Slash commands: ack at once, then run the subcommand."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.slack.context import CommandContext
from bot.slack.dispatch import run_subcommand
from bot.slack.grammar import registry


def register(app: AsyncApp) -> None:
    """One listener for every command the registry knows (register the domains first)."""

    async def on_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()
        rt = context["runtime"]
        async with rt.in_flight():
            await run_subcommand(CommandContext.from_payload(rt, command, respond))

    for name in registry.commands():
        app.command(name)(on_command)
