"""Buttons: "Post update" (card and reminders) opens the update form; "Snooze" on reminders."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.cadence_control import snooze
from bot.cadence_rules import interval_of
from bot.errors import UserError
from bot.notify import tell_user
from bot.slack_client import slack_error_text
from bot.update_buttons import POST_UPDATE_ACTION, SNOOZE_ACTION
from bot.update_modal import update_modal
from storage import StorageUnavailable
from storage.incidents import get_incident

log = logging.getLogger(__name__)
STORAGE_DOWN = ":warning: Storage unavailable, try again in a moment. Nothing was recorded."


def _where(body: dict[str, Any]) -> tuple[str, str | None, str]:
    """(user, channel, the button's value) of a block_actions payload."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    value = ((body.get("actions") or [{}])[0]).get("value") or ""
    return body["user"]["id"], channel, value


def register(app: AsyncApp) -> None:
    @app.action(POST_UPDATE_ACTION)
    async def on_post_update(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt = context["runtime"]
        user_id, channel_id, value = _where(body)
        try:
            async with rt.db.session() as session:
                incident = await get_incident(session, int(value)) if value.isdigit() else None
        except StorageUnavailable:
            await tell_user(rt, user_id, channel_id, STORAGE_DOWN)
            return
        if incident is None:
            await tell_user(rt, user_id, channel_id, "I can't find that incident any more.")
            return
        if incident.status == "resolved":
            await tell_user(
                rt,
                user_id,
                channel_id,
                f"Incident #{incident.id} is resolved, so no update is due. "
                "`/incident reopen` if it is back.",
            )
            return
        interval = interval_of(
            incident.update_interval_seconds, rt.settings.update_interval_seconds
        )
        try:
            await rt.client.views_open(
                trigger_id=body.get("trigger_id") or "",
                view=update_modal(incident.id or 0, incident.title, interval),
            )
        except Exception as exc:
            await tell_user(
                rt,
                user_id,
                channel_id,
                f"I could not open the update form ({slack_error_text(exc)}). "
                "Post it with `/incident update <text>` instead.",
            )

    @app.action(SNOOZE_ACTION)
    async def on_snooze(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt = context["runtime"]
        user_id, channel_id, value = _where(body)
        try:
            if not value.isdigit():
                raise UserError("I can't find that reminder any more.")
            message_ts = (body.get("container") or {}).get("message_ts")
            text, problems = await snooze(rt, int(value), user_id, message_ts)
            if problems:
                text += "\n" + "\n".join(f"• {p}" for p in problems)
        except UserError as exc:
            text = str(exc)
        except StorageUnavailable:
            text = STORAGE_DOWN
        await tell_user(rt, user_id, channel_id, text)
