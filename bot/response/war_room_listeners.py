"""Slack events about the war room and the install: archived, unarchived, renamed, the bot
removed or back, the token revoked or the app uninstalled (see war_room.py, bot/slack/access.py).

Acked first: the work (joining, backfilling, telling the commander) runs in the background.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.core.runtime import Runtime
from bot.response.war_room import (
    bot_removed,
    channel_renamed,
    on_channel_error,
    war_room_archived,
    war_room_back,
    war_room_unarchived,
)
from bot.slack.access import access_of
from bot.timeline.events import slack_id


def _later(context: AsyncBoltContext, work: Coroutine[Any, Any, Any], name: str) -> None:
    rt: Runtime = context["runtime"]
    rt.spawn(work, name=name)


def register(app: AsyncApp) -> None:
    @app.event("channel_archive")
    @app.event("group_archive")
    async def on_archive(event: dict[str, Any], context: AsyncBoltContext) -> None:
        channel = slack_id(event.get("channel"))
        if channel:
            rt = context["runtime"]
            _later(context, war_room_archived(rt, channel, slack_id(event.get("user"))), "archive")

    @app.event("channel_unarchive")
    @app.event("group_unarchive")
    async def on_unarchive(event: dict[str, Any], context: AsyncBoltContext) -> None:
        channel = slack_id(event.get("channel"))
        if channel:
            _later(context, war_room_unarchived(context["runtime"], channel), "unarchive")

    @app.event("channel_rename")
    @app.event("group_rename")
    async def on_rename(event: dict[str, Any], context: AsyncBoltContext) -> None:
        raw = event.get("channel")
        channel: dict[str, Any] = raw if isinstance(raw, dict) else {}
        channel_id, name = slack_id(channel.get("id")), channel.get("name")
        if channel_id and isinstance(name, str) and name:
            _later(context, channel_renamed(context["runtime"], channel_id, name), "rename")

    @app.event("member_left_channel")
    async def on_member_left(event: dict[str, Any], context: AsyncBoltContext) -> None:
        rt: Runtime = context["runtime"]
        channel = slack_id(event.get("channel"))
        if channel and event.get("user") == rt.bot_user_id:
            _later(context, bot_removed(rt, channel), "left")

    @app.event("member_joined_channel")
    async def on_member_joined(event: dict[str, Any], context: AsyncBoltContext) -> None:
        rt: Runtime = context["runtime"]
        channel = slack_id(event.get("channel"))
        if channel and event.get("user") == rt.bot_user_id:
            _later(context, war_room_back(rt, channel, "Bot invited back"), "joined")

    @app.event("tokens_revoked")
    @app.event("app_uninstalled")
    async def on_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        kind = str(event.get("type") or "tokens_revoked")
        tokens = event.get("tokens")
        if kind == "tokens_revoked" and isinstance(tokens, dict) and not tokens.get("bot"):
            return  # only user tokens went; the bot token still works
        access_of(context["runtime"].client).suspend(kind)


__all__ = ["on_channel_error", "register"]
