"""Resolving an incident whose public incident is still open asks whether to resolve that too
(the response's RESOLVED_BY_HOOKS): an ephemeral with **Resolve on the status page**, which
publishes *Resolved* with a plain public text and puts its components back to operational,
and **Leave it open** (the public incident stays as it is, to resolve later by the form).

The question goes to the person who resolved if they may publish (commander or communicator),
else to the communicator, else to the commander. The click is checked again like a
publication: private incidents and drills are refused, and only those two publish.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.buttons import clicked
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.slack.answers import answer_user
from bot.slack.client import slack_error_text
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.status.config import status_page
from bot.status.publish import PAGE_OFF, publish_submitted, refusal
from bot.status.queries import Publication, public_incident_of
from storage.models.incidents import Incident

log = logging.getLogger(__name__)
RESOLVE_ACTION = "status_resolve_public"
KEEP_ACTION = "status_keep_public"
RESOLVED_TEXT = "This incident has been resolved."


def _asked(incident: Incident, actor_id: str) -> str | None:
    if actor_id in (incident.commander_id, incident.communicator_id):
        return actor_id
    return incident.communicator_id or incident.commander_id


async def ask_on_resolve(rt: Runtime, incident: Incident, actor_id: str) -> None:
    """RESOLVED_BY_HOOKS: the question, when the incident has an open public incident."""
    config = status_page(rt)
    if config is None or incident.private or incident.drill:
        return
    try:
        async with rt.db.session() as session:
            public = await public_incident_of(session, incident.id or 0)
        if public is None or public.status == "resolved":
            return
        who = _asked(incident, actor_id)
        if who is None:
            return
        name = escape_keeping_mentions(public.name)
        text = (
            f"{incident_label(incident)} is resolved, but its public incident "
            f"“{name}” is still open on the status page. Resolve it too?"
        )
        await rt.client.chat_postEphemeral(
            channel=incident.channel_id or who,
            user=who,
            text=text,
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {
                    "type": "actions",
                    "block_id": "status_resolve",
                    "elements": [
                        {
                            "type": "button",
                            "style": "primary",
                            "action_id": RESOLVE_ACTION,
                            "text": {"type": "plain_text", "text": "Resolve on the status page"},
                            "value": str(incident.id),
                        },
                        {
                            "type": "button",
                            "action_id": KEEP_ACTION,
                            "text": {"type": "plain_text", "text": "Leave it open"},
                            "value": str(incident.id),
                        },
                    ],
                },
            ],
        )
    except Exception as exc:  # the resolve itself is done; the form still resolves it
        log.warning("could not ask to resolve the public incident: %s", slack_error_text(exc))


async def resolve_public(rt: Runtime, incident_id: int, user_id: str) -> str:
    """Publish *Resolved* for the incident's public incident, with the plain text."""
    config = status_page(rt)
    if config is None:
        raise UserError(PAGE_OFF)
    async with rt.db.session() as session:
        incident = await get_incident(session, incident_id)
        public = await public_incident_of(session, incident_id)
    if incident is None:
        raise UserError("I can't find that incident any more.")
    why = refusal(incident, user_id)
    if why:
        raise UserError(why)
    if public is None or public.status == "resolved":
        return "The public incident is already resolved; nothing to do."
    if incident.status != "resolved":
        raise UserError(f"{incident_label(incident)} was reopened; the public incident stays open.")
    publication = Publication(incident_id, user_id, public.name, RESOLVED_TEXT, "resolved", {})
    answer = await publish_submitted(rt, config, publication)
    return answer + " (resolved; its components are operational again)"


def register(app: AsyncApp) -> None:
    @app.action(RESOLVE_ACTION)
    async def on_resolve_clicked(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, value = clicked(body)
        incident_id = int(value) if value.isdigit() else 0

        async def work() -> str:
            await authorize_on_incident(rt, f"action:{RESOLVE_ACTION}", user_id, incident_id)
            return await resolve_public(rt, incident_id, user_id)

        async with rt.in_flight():
            await answer_user(rt, user_id, channel_id, "Resolving the public incident", work)

    @app.action(KEEP_ACTION)
    async def on_keep_clicked(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, _ = clicked(body)

        async def work() -> str:
            return (
                "The public incident stays open. Resolve it later with `/incident publish` "
                "(status Resolved)."
            )

        await answer_user(rt, user_id, channel_id, "Leaving the public incident open", work)
