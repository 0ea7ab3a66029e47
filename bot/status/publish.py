"""Publishing to the status page from Slack: `/incident publish` opens the form
(publish_modal.py); its submission is stored, put on the timeline and rendered into the kept
page and JSON in one transaction, then the publisher is told where it is.

Only the incident's commander or communicator may publish (and only full members: the
permission table's `update`). A private incident or a drill is refused with the reason, when
the form is asked for and again when it is submitted.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.labels import incident_label
from bot.incidents.lookup import incident_in_channel
from bot.incidents.queries import get_incident
from bot.incidents.services import service_named
from bot.slack.answers import answer_user
from bot.slack.client import slack_error_text
from bot.slack.context import CommandContext
from bot.slack.grammar import incident_command
from bot.status.announce import after_publication
from bot.status.config import StatusPageConfig, status_page
from bot.status.documents import STATE_WORDS, STATUS_WORDS
from bot.status.publish_modal import CALLBACK_ID, publish_modal, read_publish_submission
from bot.status.queries import Publication, last_states, public_incident_of, record_publication
from bot.status.snapshots import keep, render_and_store
from bot.status.statuspage_outbox import enqueue_sync
from bot.status.statuspage_sync import wake_statuspage
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident

log = logging.getLogger(__name__)
PAGE_OFF = (
    "The status page is off: the configuration file has no `status_page` section "
    "(docs/status-page.md)."
)


def refusal(incident: Incident, user_id: str) -> str | None:
    """Why this person may not publish this incident, or None."""
    if incident.private:
        return (
            f"{incident_label(incident)} is private: nothing about it goes on the public "
            "status page."
        )
    if incident.drill:
        return f"{incident_label(incident)} is a drill: drills are never published."
    if user_id not in (incident.commander_id, incident.communicator_id):
        return "Only the incident's commander or communicator publishes to the status page."
    return None


def _config(rt: Runtime) -> StatusPageConfig:
    config = status_page(rt)
    if config is None:
        raise UserError(PAGE_OFF)
    if not config.components:
        raise UserError("The status page has no components: add them to `status_page`.")
    return config


@incident_command(
    "publish",
    summary="Publish an update to the public status page (commander or communicator); "
    "opens the form",
)
async def publish(ctx: CommandContext, args: str) -> None:
    config = _config(ctx.rt)
    incident = await incident_in_channel(ctx)
    why = refusal(incident, ctx.user_id)
    if why:
        raise UserError(why)
    if not ctx.trigger_id:
        raise UserError("Slack sent no trigger for the form; run `/incident publish` again.")
    view = await form_for(ctx.rt, config, incident)
    try:
        await ctx.rt.client.views_open(trigger_id=ctx.trigger_id, view=view)
    except Exception as exc:
        raise UserError(f"I could not open the publish form ({slack_error_text(exc)}).") from exc


async def form_for(
    rt: Runtime, config: StatusPageConfig, incident: Incident, body: str = ""
) -> dict[str, Any]:
    """The form for this incident: its last publication's title and states, the components of
    its service first, `body` (a status update's words, to edit) in the public text."""
    async with rt.db.session() as session:
        public = await public_incident_of(session, incident.id or 0)
        states = await last_states(session, incident.id or 0)
    service = service_named(rt, incident.service) if incident.service else None
    return publish_modal(
        config,
        incident.id or 0,
        title=public.name if public else "",
        body=body,
        status=public.status if public else "investigating",
        states=states,
        first=service.components if service else (),
    )


def timeline_text(p: Publication) -> str:
    """The timeline's record of a publication: what was set, not the public words."""
    parts = [f"{name}: {STATE_WORDS[s].lower()}" for name, s in p.states.items()]
    what = f"; {', '.join(parts)}" if parts else ""
    return f"Status page: published an update ({STATUS_WORDS[p.status].lower()}{what})"


async def publish_submitted(rt: Runtime, config: StatusPageConfig, p: Publication) -> str:
    """Store, record and render the publication; what to tell the publisher."""
    await authorize_on_incident(rt, f"view:{CALLBACK_ID}", p.user_id, p.incident_id)
    async with rt.db.session() as session:
        incident = await get_incident(session, p.incident_id)
        if incident is None:
            raise UserError("That incident is gone; nothing was published.")
        why = refusal(incident, p.user_id)
        if why:
            raise UserError(why + " Nothing was published.")
        public = await record_publication(session, p)
        synced = await enqueue_sync(rt, session, config, public)  # Statuspage, same transaction
        await add_bot_action(session, p.incident_id, timeline_text(p), actor_id=p.user_id)
        rendered = await render_and_store(rt, session, config)
        public_id = public.public_id
    keep(rt, rendered)
    if synced:
        wake_statuspage(rt)
    base = (rt.settings.web_base_url or "").rstrip("/")
    where = f"{base}/status/incidents/{public_id}" if base else f"/status/incidents/{public_id}"
    problems = await after_publication(rt, config, p, where)  # STATUS_PAGE_CHANNEL, the export
    return "\n".join([f"Published to the status page: {where}", *problems])


def _incident_of(view: dict[str, Any]) -> int:
    try:
        return int(json.loads(view.get("private_metadata") or "{}")["incident_id"])
    except (ValueError, KeyError, TypeError):
        return 0


def register(app: AsyncApp) -> None:
    @app.view(CALLBACK_ID)
    async def on_publish_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        rt: Runtime = context["runtime"]
        config = status_page(rt)
        user_id = body["user"]["id"]
        publication: Publication | None = None
        if config is not None:
            publication, errors = read_publish_submission(config, view, user_id)
            if errors or publication is None:
                await ack(response_action="errors", errors=errors)
                return
        await ack()
        async with rt.in_flight():
            incident_id = publication.incident_id if publication else _incident_of(view)
            channel_id = await _war_room(rt, incident_id)

            async def work() -> str:
                if config is None or publication is None:  # the section since taken out
                    await authorize_on_incident(rt, f"view:{CALLBACK_ID}", user_id, incident_id)
                    raise UserError(PAGE_OFF)
                return await publish_submitted(rt, config, publication)

            await answer_user(rt, user_id, channel_id, "Publishing to the status page", work)


async def _war_room(rt: Runtime, incident_id: int) -> str | None:
    try:
        async with rt.db.session() as session:
            incident = await get_incident(session, incident_id)
    except Exception:  # told by DM then
        log.info("no war room for the publisher's answer")
        return None
    return incident.channel_id if incident else None
