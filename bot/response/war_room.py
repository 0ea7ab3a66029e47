"""When the war room stops being reachable, and when it comes back (issue 14).

- Archived (`channel_archive`, or `is_archived` from any call): reminders stop (due_prompts
  skips the incident), the commander is told privately, the broadcast channel publicly (not for
  a private incident), and the timeline records it. `channel_unarchive`: the bot rejoins,
  reads back what was said in between, and everything resumes.
- The bot removed (`member_left_channel` for the bot, or `not_in_channel`): a public channel
  is rejoined at once (`conversations.join`) and backfilled; for a private one the commander is
  asked privately to `/invite` the bot, and the gap is backfilled when it is back
  (`member_joined_channel`).
- Renamed (`channel_rename`): everything keys on the channel ID; the record takes the new name
  and the card is refreshed.
The incident keeps why its war room is unreachable in `war_room_state` (and since when), so a
restart remembers it and two reports of the same thing make one entry. Once it is back, the
state is empty and `war_room_state_since` says since when it is reachable: a failure reported
by a call made before that (still in flight while the bot was invited back) is ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import open_incident_for_channel, update_incident
from bot.response.card import refresh_card
from bot.slack.access import access_of
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.posting import broadcast_channel, post
from bot.slack.text import escape
from bot.timeline.backfill import backfill_incident
from bot.timeline.queries import add_bot_action
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind
from storage.tables import table_of
from storage.types import utcnow

log = logging.getLogger(__name__)

ARCHIVED = "archived"
REMOVED = "removed"
# conversations.join cannot take the bot into a private channel: someone must /invite it.
PRIVATE_CHANNEL_ERRORS = frozenset({"method_not_supported_for_channel_type", "channel_not_found"})


async def _mark(
    rt: Runtime, channel: str, state: str, text: str, seen: datetime | None = None
) -> Incident | None:
    """Set the war room's state and record why; None if not a war room or already so, or if
    what was `seen` is older than the war room's coming back (a call that failed before the
    bot was invited back must not mark it gone again). The change is conditional on the
    state read, so two reports of one failure, or a report racing the war room's return,
    make one change."""
    async with rt.db.session() as session:
        incident = await open_incident_for_channel(session, channel)
        if incident is None or incident.id is None or incident.war_room_state == state:
            return None
        if state == REMOVED and incident.war_room_state == ARCHIVED:
            return None  # archiving also takes members out: the archive is the news
        back_since = incident.war_room_state_since if incident.war_room_state is None else None
        if seen is not None and back_since is not None and seen < back_since:
            log.info("war room %s: a failure from before it came back, ignored", channel)
            return None
        since = incident.war_room_state_since if incident.war_room_state else None
        if not await _change_state(session, incident, state, since or utcnow()):
            return None  # another report (or the war room's return) changed it meanwhile
        await add_bot_action(session, incident.id, text, kind=EntryKind.WAR_ROOM)
        await session.refresh(incident)  # the UPDATE bypassed the ORM's copy
        return incident


async def _change_state(
    session: AsyncSession, incident: Incident, state: str | None, since: datetime
) -> bool:
    """Set the state only if it (and since when) is still what `incident` says."""
    c = table_of(Incident).c
    same_state = (
        c.war_room_state.is_(None)
        if incident.war_room_state is None
        else c.war_room_state == incident.war_room_state
    )
    same_since = (
        c.war_room_state_since.is_(None)
        if incident.war_room_state_since is None
        else c.war_room_state_since == incident.war_room_state_since
    )
    result = await session.exec(
        update(table_of(Incident))
        .where(c.id == incident.id, same_state, same_since)
        .values(war_room_state=state, war_room_state_since=since, updated_at=utcnow())
    )
    return bool(result.rowcount)


async def war_room_archived(
    rt: Runtime, channel: str, by: str | None = None, seen: datetime | None = None
) -> None:
    who = f" by <@{by}>" if by else ""
    incident = await _mark(
        rt, channel, ARCHIVED, f"War room archived{who}; reminders and posts there stopped", seen
    )
    if incident is None:
        return
    label = incident_label(incident)
    await _tell_commander(
        rt,
        incident,
        f":file_cabinet: The war room of *{label}* was archived{who} while the incident is "
        f"open. Reminders are stopped. Unarchive <#{channel}> to resume (I will read back "
        "what I missed), or resolve the incident.",
    )
    broadcast = broadcast_channel(rt, incident)
    if broadcast:
        await post(
            rt,
            broadcast,
            f":file_cabinet: *{label}* is still open, but its war room <#{channel}> was "
            "archived. Its status updates are paused until it is unarchived.",
        )


async def bot_removed(
    rt: Runtime, channel: str, by: str | None = None, seen: datetime | None = None
) -> None:
    who = f" by <@{by}>" if by else ""
    incident = await _mark(
        rt, channel, REMOVED, f"Bot removed from the war room{who}; reminders paused", seen
    )
    if incident is None:
        return
    try:
        await rt.client.conversations_join(channel=channel)
    except Exception as exc:
        if slack_error_code(exc) == "is_archived":
            await war_room_archived(rt, channel)
            return
        if slack_error_code(exc) not in PRIVATE_CHANNEL_ERRORS:
            log.warning("could not rejoin war room %s: %s", channel, slack_error_text(exc))
        await _tell_commander(
            rt,
            incident,
            f":wave: I was removed from the war room of *{incident_label(incident)}*"
            f"{who}, so I am not recording it and reminders are paused. Please `/invite` me "
            f"back into <#{channel}>; I will read back what I missed.",
        )
        return
    await war_room_back(rt, channel, "Bot rejoined the war room")


async def war_room_back(rt: Runtime, channel: str, how: str) -> None:
    """The war room is reachable again: clear its state, backfill the gap, resume."""
    async with rt.db.session() as session:
        incident = await open_incident_for_channel(session, channel)
        if incident is None or incident.id is None or incident.war_room_state is None:
            return
        since: datetime = incident.war_room_state_since or incident.declared_at
        # Reachable since now: a failure seen before this moment is stale (see _mark).
        if not await _change_state(session, incident, None, utcnow()):
            return  # a report changed it meanwhile: the next event decides
        await session.refresh(incident)  # the UPDATE bypassed the ORM's copy
        await add_bot_action(
            session,
            incident.id or 0,
            f"{how}; reading back what was said since, reminders resume",
            kind=EntryKind.WAR_ROOM,
        )
    await backfill_incident(rt, incident, oldest=since)


async def war_room_unarchived(rt: Runtime, channel: str) -> None:
    try:
        await rt.client.conversations_join(channel=channel)
    except Exception as exc:  # a private channel keeps its members: nothing to join
        if slack_error_code(exc) not in PRIVATE_CHANNEL_ERRORS | {"already_in_channel"}:
            log.warning("could not rejoin war room %s: %s", channel, slack_error_text(exc))
    await war_room_back(rt, channel, "War room unarchived")


async def channel_renamed(rt: Runtime, channel: str, name: str) -> None:
    async with rt.db.session() as session:
        incident = await open_incident_for_channel(session, channel)
        if incident is None or incident.id is None or incident.channel_name == name:
            return
        old = incident.channel_name
        incident = await update_incident(session, incident.id, channel_name=name[:80])
        was = f" (was #{escape(old)})" if old else ""
        await add_bot_action(
            session, incident.id or 0, f"War room renamed to #{name}{was}", kind=EntryKind.WAR_ROOM
        )
    if incident.war_room_state is None:
        await refresh_card(rt, incident, topic=False)


def install_war_room(rt: Runtime) -> None:
    """At start-up: errors from any call about a war room reach on_channel_error."""

    async def hook(channel: str, error: str, seen: datetime) -> None:
        await on_channel_error(rt, channel, error, seen)

    access_of(rt.client).channel_hooks.append(hook)


async def on_channel_error(
    rt: Runtime, channel: str, error: str, seen: datetime | None = None
) -> None:
    """A call about `channel` failed with `is_archived`, `not_in_channel`, `channel_not_found`
    (at `seen`: a failure older than the war room's coming back changes nothing)."""
    seen = seen or utcnow()
    async with rt.db.session() as session:
        incident = await open_incident_for_channel(session, channel)
    if incident is None or incident.war_room_state is not None:
        return  # not a war room (a DM, the broadcast channel), or known already
    if error == "is_archived":
        await war_room_archived(rt, channel, seen=seen)
        return
    if error == "channel_not_found":  # a private channel we were removed from, or archived?
        try:
            info = await rt.client.conversations_info(channel=channel)
        except Exception:
            info = None
        if info is not None and (info.get("channel") or {}).get("is_archived"):
            await war_room_archived(rt, channel, seen=seen)
            return
    await bot_removed(rt, channel, seen=seen)


async def _tell_commander(rt: Runtime, incident: Incident, text: str) -> None:
    try:
        await rt.client.chat_postMessage(channel=incident.commander_id, text=text)
    except Exception as exc:
        log.warning(
            "could not tell the commander of incident %s: %s", incident.id, slack_error_text(exc)
        )
