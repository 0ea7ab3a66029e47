"""The timeline's Slack listeners: messages are stored, and key-event reactions and pins recorded,
before Slack gets its ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.runtime import Runtime
from bot.slack.answers import answer_user
from bot.slack.before_ack import stored_before_ack
from bot.timeline.copy_in import (
    COPY_SHORTCUT,
    PICK_CALLBACK,
    CopiedMessage,
    copy_message,
    read_pick,
    shortcut_pressed,
)
from bot.timeline.keyevents import record_pin, record_reaction
from bot.timeline.message_capture import MessageCapture


async def _record_mark(rt: Runtime, event: dict[str, Any], _event_id: str | None) -> None:
    added = event["type"].endswith("_added")
    if event["type"].startswith("reaction_"):
        await record_reaction(rt, event, added=added)
    else:
        await record_pin(rt, event, added=added)


def register(app: AsyncApp) -> None:
    # Message events are the most frequent requests by far: stored and answered by an app
    # middleware, before Bolt matches any listener (this is the first domain registered).
    app.use(stored_before_ack(MessageCapture().handle, only="message"))

    marked_first = [stored_before_ack(_record_mark)]

    @app.event("reaction_added", middleware=marked_first)
    @app.event("reaction_removed", middleware=marked_first)
    @app.event("pin_added", middleware=marked_first)
    @app.event("pin_removed", middleware=marked_first)
    async def mark_recorded() -> None:
        """Nothing left to do: the middleware recorded the mark and answered Slack."""

    register_copy_in(app)


def register_copy_in(app: AsyncApp) -> None:
    """The add_to_timeline message shortcut and its incident picker."""

    @app.shortcut(COPY_SHORTCUT)
    async def on_add_to_timeline(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")
        async with rt.in_flight():
            await answer_user(
                rt,
                user_id,
                channel_id,
                "Adding the message to the timeline",
                lambda: shortcut_pressed(rt, body),
            )

    @app.view(PICK_CALLBACK)
    async def on_incident_picked(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        incident_id, message = read_pick(view)
        if incident_id is None:
            await ack(response_action="errors", errors={"incident": "Pick an incident."})
            return
        await ack()
        rt: Runtime = context["runtime"]
        user_id = body["user"]["id"]
        copied: CopiedMessage | None = message

        async def work() -> str | None:
            if copied is None:
                return "This form lost track of its message; use the shortcut on it again."
            return await copy_message(rt, incident_id, copied, user_id)

        async with rt.in_flight():
            await answer_user(
                rt,
                user_id,
                message.channel_id if message else None,
                "Adding the message to the timeline",
                work,
            )
