"""App Home's open incidents: each with its severity, status, age, war room and your role,
and the "Declare incident" button. (The Home view itself is assembled in postmortem's
follow-through, with your action items.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.runtime import Runtime
from bot.incidents.buttons import HOME_DECLARE_ACTION
from bot.incidents.labels import STATUS_EMOJI, incident_label
from bot.incidents.queries import open_incidents
from storage.models.incidents import Incident

MAX_INCIDENTS = 20


def age(since: datetime, now: datetime) -> str:
    """Coarse on purpose (the view is republished only when it changes): 5-minute steps
    in the first hour, then hours, then days."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 5:
        return "under 5m"
    if minutes < 60:
        return f"{minutes - minutes % 5}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def role_of(incident: Incident, user_id: str) -> str:
    roles = []
    if incident.commander_id == user_id:
        roles.append("commander")
    if incident.communicator_id == user_id:
        roles.append("communicator")
    return " and ".join(roles)


def visible_to(incident: Incident, user_id: str) -> bool:
    """Private incidents are listed only for the people holding a role in them."""
    return not incident.private or bool(role_of(incident, user_id))


def open_incident_blocks(
    incidents: list[Incident], user_id: str, now: datetime
) -> list[dict[str, Any]]:
    shown = [i for i in incidents if visible_to(i, user_id)]
    shown.sort(key=lambda i: (i.severity, i.declared_at))
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Open incidents ({len(shown)})"},
        },
        {
            "type": "actions",
            "block_id": "home_declare",
            "elements": [
                {
                    "type": "button",
                    "action_id": HOME_DECLARE_ACTION,
                    "text": {"type": "plain_text", "text": "Declare incident"},
                    "style": "danger",
                    "value": "declare",
                }
            ],
        },
    ]
    if not shown:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "_None. All quiet._"}})
    for incident in shown[:MAX_INCIDENTS]:
        where = f"<#{incident.channel_id}>" if incident.channel_id else "_no war room yet_"
        role = role_of(incident, user_id)
        mine = f" · *you are {role}*" if role else ""
        text = (
            f"*{incident_label(incident)}*\n"
            f"{incident.severity.upper()} · {STATUS_EMOJI.get(incident.status, '')} "
            f"{incident.status} · {age(incident.declared_at, now)} old · {where}{mine}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2999]}})
    if len(shown) > MAX_INCIDENTS:
        more = len(shown) - MAX_INCIDENTS
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {more} more."}]}
        )
    return blocks


async def home_section(rt: Runtime, user_id: str, now: datetime) -> list[dict[str, Any]]:
    """The incidents' section of App Home (bot/home/)."""
    async with rt.db.session() as session:
        incidents = await open_incidents(session)
    return open_incident_blocks(incidents, user_id, now)
