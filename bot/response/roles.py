"""Commander and communicator: who they are, and changing them (invite, card, topic, record)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident, update_incident
from bot.response.card import refresh_card
from bot.slack.posting import invite, post
from bot.slack.text import excerpt, mention, parse_user_mention, unescape
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind

ROLES = ("commander", "communicator")


@dataclass
class RoleChange:
    incident: Incident
    previous: str | None
    problems: list[str] = field(default_factory=list)


def parse_person(args: str, usage: str) -> str:
    """Exactly one @mention -> the user id; anything else is refused with the usage."""
    words = args.split()
    if not words:
        raise UserError(f"Who? Mention them: `{usage}`.")
    if len(words) > 1:
        raise UserError(f"Name one person, as an @mention: `{usage}`.")
    user_id = parse_user_mention(words[0])
    if user_id is None:
        raise UserError(f"I need an @mention of a person (pick them from Slack's list): `{usage}`.")
    return user_id


def parse_role_and_person(args: str) -> tuple[str, str]:
    usage = "/incident role <commander|communicator> @someone"
    role, _, rest = args.strip().partition(" ")
    if role.lower() not in ROLES:
        shown = f"`{excerpt(unescape(role))}` is not a role. " if role else ""
        raise UserError(f"{shown}The roles are `commander` and `communicator`: `{usage}`.")
    return role.lower(), parse_person(rest, usage)


def one_person_doing_both(incident: Incident) -> str | None:
    """The gentle suggestion shown when the commander is also the communicator."""
    if incident.communicator_id != incident.commander_id:
        return None
    return (
        f":bulb: <@{incident.commander_id}> is both commander and communicator. Leading the "
        "response and keeping everyone informed is a lot for one person: could someone else "
        "take communications? `/incident communicator @someone`"
    )


def roles_text(incident: Incident) -> str:
    lines = [
        f"*Roles in {incident_label(incident)}*",
        f"• Commander: {mention(incident.commander_id)} (leads the response, decides)",
        f"• Communicator: {mention(incident.communicator_id)} (posts status updates)",
    ]
    if not incident.communicator_id:
        lines.append(
            "Until someone takes communications, the update reminders go to the commander: "
            "`/incident communicator @someone`."
        )
    suggestion = one_person_doing_both(incident)
    if suggestion:
        lines.append(suggestion)
    return "\n".join(lines)


async def assign_role(
    rt: Runtime,
    incident: Incident,
    role: str,
    user_id: str,
    actor_id: str,
    *,
    kind: EntryKind = EntryKind.ROLE_CHANGE,
) -> RoleChange:
    """Give `role` to `user_id`: record it, invite them, refresh the card and the topic."""
    if rt.bot_user_id and user_id == rt.bot_user_id:
        raise UserError(f"I can't be the {role}; name a person.")
    async with rt.db.session() as session:
        current = await get_incident(session, incident.id or 0)
        if current is None:
            raise UserError("That incident is gone.")
        previous = getattr(current, f"{role}_id")
        if previous == user_id:
            raise UserError(f"<@{user_id}> is already the {role} of {incident_label(current)}.")
        updated = await update_incident(session, current.id or 0, **{f"{role}_id": user_id})
        was = f" (was {mention(previous)})" if previous else ""
        verb = "handed command to" if kind == EntryKind.HANDOFF else f"made {role}:"
        await add_bot_action(
            session,
            updated.id or 0,
            f"<@{actor_id}> {verb} <@{user_id}>{was}",
            actor_id=actor_id,
            kind=kind,
        )
    change = RoleChange(updated, previous)
    if updated.channel_id:
        await invite(rt, updated.channel_id, user_id, change.problems)
    change.problems += await refresh_card(rt, updated)
    return change


async def announce_role(rt: Runtime, change: RoleChange, role: str, actor_id: str) -> None:
    incident = change.incident
    if not incident.channel_id:
        return
    person = getattr(incident, f"{role}_id")
    was = f" (was {mention(change.previous)})" if change.previous else ""
    text = f":busts_in_silhouette: <@{actor_id}> made <@{person}> the *{role}*{was}."
    if role == "communicator":
        text += " Status-update reminders now go to them."
    suggestion = one_person_doing_both(incident)
    if suggestion:
        text += "\n" + suggestion
    await post(
        rt,
        incident.channel_id,
        text,
        [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        problems=change.problems,
    )
