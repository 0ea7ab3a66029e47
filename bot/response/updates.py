"""Posting a status update: the record first (timeline, clock), then the channels and the card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.cadence.queries import restart_clock
from bot.cadence.rules import interval_of
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.response.card import refresh_card
from bot.response.update_modal import update_modal
from bot.slack.blocks import context, section, sections
from bot.slack.durations import humanize
from bot.slack.posting import broadcast_channel, post
from bot.timeline.queries import add_bot_action
from bot.timeline.status_text import StatusUpdate
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind
from storage.types import utcnow

# Blocks later domains add below a status update posted in the war room (bot.status's
# "Publish to status page"): (runtime, incident, the update's timeline entry id) -> blocks.
UpdateHook = Callable[[Runtime, Incident, int], list[dict[str, Any]]]
UPDATE_HOOKS: list[UpdateHook] = []


async def post_status_update(
    rt: Runtime,
    incident_id: int,
    user_id: str,
    update: StatusUpdate,
    *,
    next_in_seconds: int | None = None,
) -> tuple[Incident, list[str]]:
    """Record the update, restart the clock, post it; return the incident and what failed.

    The next reminder falls due `next_in_seconds` from now (default: the incident's cadence).
    """
    now = utcnow()
    async with rt.db.session() as session:
        current = await get_incident(session, incident_id)
        if current is None or current.status == "resolved":
            raise UserError(
                f"Incident #{incident_id} is resolved, so there is nothing to update. "
                "Reopen it first with `/incident reopen`."
            )
        interval = interval_of(current.update_interval_seconds, rt.settings.update_interval_seconds)
        next_in = next_in_seconds or interval
        incident = await restart_clock(
            session, incident_id, updated_at=now, next_due=now + timedelta(seconds=next_in)
        )
        entry = await add_bot_action(
            session,
            incident_id,
            update.record_text(),
            actor_id=user_id,
            kind=EntryKind.STATUS_UPDATE,
            occurred_at=now,
        )
    problems: list[str] = []
    due = (now + timedelta(seconds=next_in)).strftime("%H:%M UTC")
    footer = f"_Posted by <@{user_id}>. Next update in {humanize(next_in)} (by {due})._"
    head = f":loudspeaker: *Status update* · {incident.severity.upper()} · {incident.status}"
    body = update.mrkdwn()
    parts = update.mrkdwn_parts()
    if incident.channel_id:
        await post(
            rt,
            incident.channel_id,
            f"Status update on incident #{incident.id}: {body}",
            _blocks(head, parts, footer)
            + [b for hook in UPDATE_HOOKS for b in hook(rt, incident, entry.id or 0)],
            problems=problems,
        )
    broadcast = broadcast_channel(rt, incident)
    if broadcast:
        where = f" War room: <#{incident.channel_id}>." if incident.channel_id else ""
        await post(
            rt,
            broadcast,
            f"Status update on {incident_label(incident)}: {body}",
            _blocks(
                f":loudspeaker: *{incident_label(incident)}* "
                f"({incident.severity.upper()}, {incident.status})",
                parts,
                footer + where,
            ),
            problems=problems,
        )
    problems += await refresh_card(rt, incident, topic=False)
    return incident, problems


def _blocks(head: str, parts: list[str], footer: str) -> list[dict]:
    """A section for the heading and one per template field (split, never cut, if long)."""
    return [section(head), *(block for part in parts for block in sections(part)), context(footer)]


async def post_update_from_form(
    rt: Runtime, incident_id: int, user_id: str, update: StatusUpdate, next_in_seconds: int
) -> tuple[str, str | None]:
    """Post an update submitted through the form: (what to tell the person, where).

    Refusals and failures propagate to the caller's `answer_user`."""
    incident, problems = await post_status_update(
        rt, incident_id, user_id, update, next_in_seconds=next_in_seconds
    )
    if not problems:
        return "", incident.channel_id
    listed = "\n".join(f"• {p}" for p in problems)
    return f"Your update is recorded, but:\n{listed}", incident.channel_id


async def update_form_for(rt: Runtime, incident_id: int) -> dict[str, Any]:
    """The update form for an open incident, its next-update field set to the cadence."""
    async with rt.db.session() as session:
        incident = await get_incident(session, incident_id)
    if incident is None:
        raise UserError("I can't find that incident any more.")
    if incident.status == "resolved":
        raise UserError(
            f"Incident #{incident.id} is resolved, so no update is due. "
            "`/incident reopen` if it is back."
        )
    interval = interval_of(incident.update_interval_seconds, rt.settings.update_interval_seconds)
    return update_modal(incident_id, incident.title, interval)
