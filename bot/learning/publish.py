"""`/postmortem publish`: the commander marks the postmortem final and posts its summary,
impact, factors and action items, with the draft file, where every engineer reads them:
POSTMORTEM_CHANNEL, else the broadcast channel. A private incident's postmortem goes only to
its own war room. Publishing again after edits updates the same message (the new draft file
goes in its thread).

The message is claimed in the database before Slack is called (`published_ts` = "pending"),
so two people publishing at once post it once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.learning.seen_before import seen_before
from bot.postmortem.record import IncidentRecord
from bot.postmortem.render import document_title, render_postmortem
from bot.postmortem.render.draft import load_record, people_in
from bot.postmortem.rules import split_factor_refs
from bot.slack.blocks import fit, section
from bot.slack.client import slack_error_text
from bot.slack.files import user_names
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.posting import post_message
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.types import utcnow

log = logging.getLogger(__name__)

PENDING = "pending:"
MAX_LIST = 25


@dataclass
class PublishOutcome:
    channel_id: str
    ts: str
    updated: bool
    file_link: str | None
    file_problem: str | None


def publish_channel(rt: Runtime, incident: Incident) -> str:
    if incident.private:
        if not incident.channel_id:
            raise UserError("This private incident has no war room to publish in.")
        return incident.channel_id
    target = rt.settings.postmortem_channel or rt.settings.incident_broadcast_channel
    if not target:
        raise UserError(
            "There is nowhere to publish: set `POSTMORTEM_CHANNEL` (or "
            "`INCIDENT_BROADCAST_CHANNEL`) to a channel ID and invite me there."
        )
    return target


def published_blocks(record: IncidentRecord, publisher: str) -> list[dict[str, Any]]:
    incident = record.incident

    def latest(kind: str) -> str:
        items = [i for i in record.items if i.kind == kind]
        return escape_keeping_mentions(items[-1].text) if items else "_not written_"

    factors = [i for i in record.items if i.kind == "factor"]
    addressed = {n for a in record.actions for n in split_factor_refs(a.text)[0]}
    factor_lines = [
        f"• *F{n}* ({f.category or 'technical'}) {escape_keeping_mentions(f.text)}"
        + ("" if n in addressed else " :warning: _no action item_")
        for n, f in enumerate(factors, start=1)
    ][:MAX_LIST]
    action_lines = [
        f"• #{a.number} {a.priority} <@{a.owner_id}> due {a.due_date.isoformat()} "
        f"({a.status}): {escape_keeping_mentions(a.text)}"
        for a in record.actions
    ][:MAX_LIST]
    where = f" · war room <#{incident.channel_id}>" if incident.channel_id else ""
    texts = [
        f":memo: *Postmortem (final): {incident_label(incident)}*",
        f"*Summary*\n{latest('summary')}",
        f"*Impact*\n{latest('impact')}",
        "*Contributing factors*\n" + ("\n".join(factor_lines) or "_none recorded_"),
        "*Action items*\n" + ("\n".join(action_lines) or "_none recorded_"),
    ]
    return [
        *(section(fit(text, at_space=True)) for text in texts),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{incident.severity.upper()} · published by <@{publisher}> on "
                    f"{utcnow().strftime('%Y-%m-%d %H:%M UTC')}{where}. The whole draft is in "
                    "the thread. Every engineer should read every postmortem.",
                }
            ],
        },
    ]


async def _claim(rt: Runtime, incident_id: int, user_id: str) -> tuple[Incident, str | None]:
    """Mark final and claim the message; returns the incident and the ts to update, if any."""
    async with rt.db.session() as session:
        incident = await session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            raise LookupError(incident_id)
        if incident.commander_id != user_id:
            raise UserError(
                f"Only the commander, <@{incident.commander_id}>, publishes the postmortem of "
                f"{incident_label(incident)}."
            )
        previous = incident.published_ts
        if previous and previous.startswith(PENDING):
            raise UserError("Someone is publishing this postmortem right now; try again shortly.")
        incident.postmortem_final_at = utcnow()
        incident.published_ts = PENDING + uuid.uuid4().hex[:16]  # within the 32 characters
        session.add(incident)
        await add_bot_action(
            session, incident_id, f"<@{user_id}> published the postmortem", actor_id=user_id
        )
    return incident, previous


async def _settle(rt: Runtime, incident_id: int, channel: str | None, ts: str | None) -> None:
    async with rt.db.session() as session:
        incident = await session.get(Incident, incident_id, with_for_update=True)
        if incident is not None:
            incident.published_channel_id = channel
            incident.published_ts = ts
            session.add(incident)


async def publish(rt: Runtime, incident: Incident, user_id: str) -> PublishOutcome:
    target = publish_channel(rt, incident)
    incident, previous_ts = await _claim(rt, incident.id or 0, user_id)
    previous_channel = incident.published_channel_id
    try:
        record = await load_record(rt, incident, all_columns=False)
        names = await user_names(rt, people_in(record))
        cadence = incident.update_interval_seconds or rt.settings.update_interval_seconds
        markdown = render_postmortem(
            record,
            now=utcnow(),
            cadence_seconds=cadence,
            names=names,
            seen_before=await seen_before(rt, record),
        )
        blocks = published_blocks(record, user_id)
        text = f"Postmortem (final): {incident_label(incident)}"
        if previous_ts and previous_channel == target:
            await rt.client.chat_update(channel=target, ts=previous_ts, text=text, blocks=blocks)
            ts, updated = previous_ts, True
        else:
            resp = await post_message(rt, target, text=text, blocks=blocks, unfurl_links=False)
            ts, updated = str(resp["ts"]), False
    except Exception:
        await _settle(rt, incident.id or 0, previous_channel, previous_ts)
        raise
    await _settle(rt, incident.id or 0, target, ts)
    file_link = file_problem = None
    try:
        file_link = await _upload_in_thread(rt, target, ts, record, markdown, updated)
    except Exception as exc:
        log.warning("published draft upload failed: %s", type(exc).__name__)
        file_problem = slack_error_text(exc)
    return PublishOutcome(target, ts, updated, file_link, file_problem)


async def _upload_in_thread(
    rt: Runtime, channel: str, ts: str, record: IncidentRecord, markdown: str, updated: bool
) -> str:
    incident = record.incident
    resp = await rt.client.files_upload_v2(
        channel=channel,
        thread_ts=ts,
        filename=f"postmortem-incident-{incident.id}.md",
        title=document_title(record),
        content=markdown,
        initial_comment="The updated draft." if updated else "The whole draft.",
    )
    file = resp.get("file") or (resp.get("files") or [{}])[0]
    return str(file.get("permalink") or file.get("id"))


def publish_problem_text(exc: Exception) -> str:
    return (
        f":x: I could not publish the postmortem ({slack_error_text(exc)}). Make sure I am a "
        "member of the channel, then try again. It is still marked final."
    )
