""" "Take command" on the card of an incident declared from an alert (nobody commands it yet).

The first person to press it commands: a conditional UPDATE (commander still empty), so two
people pressing together get one commander and one "someone was quicker".
"""

from __future__ import annotations

from sqlalchemy import update

from bot.alerts.transactions import alert_session
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.response.card import refresh_card
from bot.slack.posting import invite, post
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.tables import table_of
from storage.types import utcnow

INCIDENT = table_of(Incident)


async def take_command(rt: Runtime, incident_id: int, user_id: str) -> str:
    async with alert_session(rt) as session:
        result = await session.exec(
            update(INCIDENT)
            .where(INCIDENT.c.id == incident_id, INCIDENT.c.commander_id == "")
            .values(commander_id=user_id, updated_at=utcnow())
        )
        incident = await get_incident(session, incident_id)
        if incident is None:
            raise UserError("I can't find that incident any more.")
        await session.refresh(incident)
        if not result.rowcount:
            raise UserError(
                f"<@{incident.commander_id}> already commands {incident_label(incident)}."
            )
        await add_bot_action(
            session,
            incident_id,
            f"<@{user_id}> took command",
            actor_id=user_id,
            kind="role_change",
        )
    problems: list[str] = []
    if incident.channel_id:
        await invite(rt, incident.channel_id, user_id, problems)
        text = f":large_green_circle: <@{user_id}> took command of {incident_label(incident)}."
        await post(rt, incident.channel_id, text, problems=problems)
    problems += await refresh_card(rt, incident)
    answer = f"You are now the commander of {incident_label(incident)}."
    if problems:
        answer += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in problems)
    return answer
