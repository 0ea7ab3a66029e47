"""Modal submissions."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.cadence_rules import interval_of
from bot.declare_modal import CALLBACK_ID as DECLARE_CALLBACK
from bot.declare_modal import read_declare_submission
from bot.errors import UserError
from bot.incidents import DeclareRequest, declare, declared_message
from bot.notify import tell_user
from bot.status_updates import post_status_update
from bot.update_modal import CALLBACK_ID as UPDATE_CALLBACK
from bot.update_modal import incident_id_of, read_update_submission
from storage import StorageUnavailable
from storage.incidents import get_incident

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.view(DECLARE_CALLBACK)
    async def on_declare_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        rt = context["runtime"]
        args, description, meta, errors = read_declare_submission(
            view, rt.settings.default_severity
        )
        if errors or args is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        user_id = body["user"]["id"]
        channel_id = meta.get("channel_id")
        try:
            outcome = await declare(
                rt,
                DeclareRequest(
                    args=args,
                    user_id=user_id,
                    channel_id=channel_id,
                    team_id=(body.get("team") or {}).get("id"),
                    description=description,
                ),
            )
            text = declared_message(outcome)
        except UserError as exc:
            text = str(exc)
        except StorageUnavailable:
            text = ":warning: Storage unavailable, try again in a moment. Nothing was recorded."
        await tell_user(rt, user_id, channel_id, text)

    @app.view(UPDATE_CALLBACK)
    async def on_update_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        rt = context["runtime"]
        incident_id = incident_id_of(view)
        interval = rt.settings.update_interval_seconds
        incident = None
        try:
            async with rt.db.session() as session:
                incident = await get_incident(session, incident_id) if incident_id else None
            if incident is not None:
                interval = interval_of(incident.update_interval_seconds, interval)
        except StorageUnavailable:
            pass  # the form is still checked against the default; posting will say so
        update, next_in, errors = read_update_submission(view, interval)
        if errors or update is None or incident_id is None:
            await ack(response_action="errors", errors=errors or {"known": "Try the form again."})
            return
        await ack()
        user_id = body["user"]["id"]
        channel_id = incident.channel_id if incident is not None else None
        try:
            incident, problems = await post_status_update(
                rt, incident_id, user_id, update, next_in_seconds=next_in
            )
            channel_id = incident.channel_id
            text = "Your update is recorded, but:\n" + "\n".join(f"• {p}" for p in problems)
            if not problems:
                text = ""
        except UserError as exc:
            text = str(exc)
        except StorageUnavailable:
            text = ":warning: Storage unavailable, try again in a moment. Nothing was recorded."
        if text:
            await tell_user(rt, user_id, channel_id, text)
