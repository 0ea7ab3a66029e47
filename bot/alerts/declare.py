"""Opening or joining an incident from an alert group, exactly once per group.

The link from the group to its incident is written in the incident's own transaction and
only if the group has none (bot.alerts.queries.link_incident), so the worker's
auto-declaration, a person's "Declare incident" and "Add to incident" can race and still
give one incident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.alerts.queries import AlreadyLinked, GroupState, bump_group, link_incident, load_group
from bot.alerts.sessions import alert_session
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.response.declare import DeclareOutcome, DeclareRequest, Tell, open_war_room, record
from bot.response.declare_args import DeclareArgs
from bot.slack.blocks import section
from bot.slack.posting import post
from bot.slack.text import escape

BOT_DECLARER = "USISYPHUS"  # when the bot's own user id is not known (auth.test failed)

# Run once an alert group has joined an open incident ("Add to incident"), with the incident's
# id (bot.metrics reads the group's expression). A group that opens an incident needs none:
# the response's DECLARED_HOOKS run then, the group already linked.
JoinedHook = Callable[[Runtime, int], Awaitable[None]]
JOINED_HOOKS: list[JoinedHook] = []


async def _declare(
    rt: Runtime,
    state: GroupState,
    user_id: str,
    channel_id: str | None,
    *,
    commander_id: str | None,
    tell: Tell | None = None,
) -> DeclareOutcome:
    """The incident and the group's link to it in one transaction (AlreadyLinked rolls the
    incident back), then its war room, read top to bottom here."""
    group = state.group
    req = DeclareRequest(
        args=DeclareArgs(
            title=group.title, severity=group.severity, service=state.labels.get("service")
        ),
        user_id=user_id,
        channel_id=channel_id,
        description=group.description,
        commander_id=commander_id,
        tell=tell,
    )
    async with rt.db.session() as session:
        incident = await record(session, rt, req)
        await link_incident(session, group.id or 0, incident.id or 0)
    return await open_war_room(rt, incident, req)


async def declare_from_alert(rt: Runtime, state: GroupState) -> DeclareOutcome | None:
    """The bot declares (an alert the settings say to declare at once); nobody commands yet.
    None if the group already has an incident."""
    declarer = rt.bot_user_id or BOT_DECLARER
    try:
        return await _declare(rt, state, declarer, None, commander_id="")
    except AlreadyLinked:
        return None


async def declare_by_person(
    rt: Runtime, group_id: int, user_id: str, channel_id: str | None, tell: Tell
) -> DeclareOutcome:
    """ "Declare incident" on a triage card: the person who pressed it declares and commands,
    and is told by `tell` (as soon as the war room exists; see bot.response.declare)."""
    async with alert_session(rt) as session:
        state = await load_group(session, group_id)
    if state is None:
        raise UserError("I can't find that alert any more.")
    if state.group.incident_id is not None:
        raise UserError(f"This alert is already incident #{state.group.incident_id}.")
    try:
        return await _declare(rt, state, user_id, channel_id, commander_id=None, tell=tell)
    except AlreadyLinked as exc:
        raise UserError(
            f"Someone was quicker: this alert is incident #{exc.incident_id}."
        ) from None


async def add_to_incident(rt: Runtime, group_id: int, incident_id: int, user_id: str) -> str:
    """ "Add to incident #n": the group joins an open incident; its alerts go on its timeline."""
    async with alert_session(rt) as session:
        incident = await get_incident(session, incident_id)
        state = await load_group(session, group_id)
        if incident is None or state is None:
            raise UserError("I can't find that alert or incident any more.")
        if incident.status == "resolved":
            raise UserError(f"{incident_label(incident)} is resolved; declare a new one instead.")
        try:
            await link_incident(session, group_id, incident_id)
        except AlreadyLinked as exc:
            raise UserError(f"This alert is already incident #{exc.incident_id}.") from None
        await bump_group(session, group_id)
    for hook in JOINED_HOOKS:
        await hook(rt, incident_id)
    if incident.channel_id:
        text = (
            f":rotating_light: <@{user_id}> added the alert *{escape(state.group.title)}* to "
            "this incident; its alerts are on the timeline."
        )
        await post(rt, incident.channel_id, text, [section(text)])
    where = f" (<#{incident.channel_id}>)" if incident.channel_id else ""
    return f"The alert is now part of {incident_label(incident)}{where}."
