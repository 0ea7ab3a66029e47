"""The permission check for buttons and forms that act on one incident: the table in
bot/slack/permissions.py, plus "in its channel" when the incident is private."""

from __future__ import annotations

from bot.core.runtime import Runtime
from bot.incidents.queries import get_incident
from bot.slack.permissions import authorize


async def authorize_on_incident(
    rt: Runtime,
    entry_point: str,
    user_id: str,
    incident_id: int | None,
    *,
    also: str | None = None,
) -> None:
    """Refuse (UserError) unless the user may use `entry_point` on this incident."""
    private_channel = None
    if incident_id:
        async with rt.db.session() as session:
            incident = await get_incident(session, incident_id)
        if incident is not None and incident.private:
            private_channel = incident.channel_id
    await authorize(rt, entry_point, user_id, private_channel=private_channel, also=also)
