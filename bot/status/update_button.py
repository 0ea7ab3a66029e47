"""**Publish to status page** below each status update posted in a war room (through the
response's UPDATE_HOOKS): it opens the publish form with the update's words in the public
text, to edit, since internal wording is not for customers. Not shown without a status page,
nor on a private incident or a drill."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.buttons import clicked
from bot.incidents.queries import get_incident
from bot.slack.answers import answer_user
from bot.slack.client import slack_error_text
from bot.status.config import status_page
from bot.status.publish import PAGE_OFF, form_for, refusal
from bot.status.publish_modal import MAX_BODY
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind, TimelineEntry

log = logging.getLogger(__name__)
PUBLISH_ACTION = "status_publish_update"


def publish_button(rt: Runtime, incident: Incident, entry_id: int) -> list[dict[str, Any]]:
    config = status_page(rt)
    if config is None or not config.components or incident.private or incident.drill:
        return []
    return [
        {
            "type": "actions",
            "block_id": "status_publish",
            "elements": [
                {
                    "type": "button",
                    "action_id": PUBLISH_ACTION,
                    "text": {"type": "plain_text", "text": "Publish to status page"},
                    "value": f"{incident.id}:{entry_id}",
                }
            ],
        }
    ]


async def _open(rt: Runtime, body: dict[str, Any]) -> None:
    user_id, channel_id, value = clicked(body)

    async def work() -> None:
        incident_part, _, entry_part = value.partition(":")
        incident_id = int(incident_part) if incident_part.isdigit() else 0
        await authorize_on_incident(rt, f"action:{PUBLISH_ACTION}", user_id, incident_id)
        config = status_page(rt)
        if config is None:  # the section since taken out
            raise UserError(PAGE_OFF)
        async with rt.db.session() as session:
            incident = await get_incident(session, incident_id)
            entry = (
                await session.get(TimelineEntry, int(entry_part)) if entry_part.isdigit() else None
            )
        if incident is None:
            raise UserError("I can't find that incident any more.")
        why = refusal(incident, user_id)
        if why:
            raise UserError(why)
        words = ""
        if entry is not None and entry.incident_id == incident.id:
            if entry.kind == EntryKind.STATUS_UPDATE:
                words = entry.text[:MAX_BODY]
        view = await form_for(rt, config, incident, body=words)
        try:
            await rt.client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
        except Exception as exc:
            log.warning("could not open the publish form: %s", slack_error_text(exc))
            raise UserError(
                f"I could not open the publish form ({slack_error_text(exc)}). "
                "Try `/incident publish`."
            ) from exc

    await answer_user(rt, user_id, channel_id, "Opening the publish form", work)


def register(app: AsyncApp) -> None:
    @app.action(PUBLISH_ACTION)
    async def on_publish_clicked(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        async with rt.in_flight():
            await _open(rt, body)
