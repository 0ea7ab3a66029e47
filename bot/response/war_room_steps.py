"""The Slack steps of opening a war room, each on its own: it does one call (slack_sdk retries
that call on 429, 5xx and connection errors), records what it did, and turns a failure into a
plain sentence in `problems`. The declare flow (bot/response/declare.py) decides their order
and which of them run at the same time. The war room's name (a valid Slack channel name) is
made here too, at the end.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError

from bot.checklists.board import post_checklists
from bot.core.runtime import Runtime
from bot.incidents.queries import update_incident
from bot.response import card
from bot.response.card import CardFacts, hooked_blocks
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.posting import post_message
from bot.slack.text import escape
from storage.models.incidents import Incident

MAX_NAME_ATTEMPTS = 5
MAX_CHANNEL_NAME = 80


async def create_channel(rt: Runtime, incident: Incident, problems: list[str]) -> Incident:
    """conversations.create, trying another name when one is taken; the incident with its
    channel recorded (unchanged if no channel could be made)."""
    last_error = ""
    for attempt in range(MAX_NAME_ATTEMPTS):
        name = incident_channel_name(
            incident.id or 0, incident.title, attempt, drill=incident.drill
        )
        try:
            resp = await rt.client.conversations_create(name=name, is_private=incident.private)
        except SlackApiError as exc:
            last_error = slack_error_text(exc)
            if slack_error_code(exc) == "name_taken":
                continue
            break
        except Exception as exc:
            last_error = slack_error_text(exc)
            break
        channel = resp["channel"]
        async with rt.db.session() as session:
            return await update_incident(
                session, incident.id or 0, channel_id=channel["id"], channel_name=channel["name"]
            )
    problems.append(
        f"I could not create the incident channel ({last_error}). The incident is recorded as "
        f"#{incident.id}; run `/incident declare --here {escape(incident.title)}` in a channel "
        "you create yourself, or try again."
    )
    return incident


async def invite_declarer(
    rt: Runtime, incident: Incident, user_id: str, problems: list[str]
) -> None:
    if user_id == rt.bot_user_id:  # declared by the bot itself: nobody to invite
        return
    try:
        await rt.client.conversations_invite(channel=incident.channel_id or "", users=user_id)
    except SlackApiError as exc:
        if slack_error_code(exc) not in ("already_in_channel", "cant_invite_self"):
            problems.append(f"I could not invite you to the channel: {slack_error_text(exc)}.")
    except Exception as exc:
        problems.append(f"I could not invite you to the channel: {slack_error_text(exc)}.")


async def join_here(
    rt: Runtime, incident: Incident, asked_private: bool, problems: list[str]
) -> Incident:
    """Join the channel and learn whether it is public. Private fails closed: the incident was
    stored private, and becomes public only when `conversations.info` says the channel is
    neither private nor shared with another organisation; nothing is announced before that."""
    channel_id = incident.channel_id or ""
    public, name = await _channel_is_public(rt, channel_id, problems)
    if public is not False:
        try:
            await rt.client.conversations_join(channel=channel_id)
        except SlackApiError as exc:
            if slack_error_code(exc) == "method_not_supported_for_channel_type":
                public = False  # a private channel (we can only be here if invited)
            else:
                problems.append(
                    f"I could not join this channel ({slack_error_text(exc)}); `/invite` me so "
                    "I can follow the conversation."
                )
        except Exception as exc:
            problems.append(f"I could not join this channel ({slack_error_text(exc)}).")
    private = asked_private or not public
    async with rt.db.session() as session:
        return await update_incident(
            session, incident.id or 0, private=private, channel_name=name or incident.channel_name
        )


async def _channel_is_public(
    rt: Runtime, channel_id: str, problems: list[str]
) -> tuple[bool | None, str | None]:
    """(True: public and not shared, False: private or shared with another organisation,
    None: unknown; and its name)."""
    try:
        resp = await rt.client.conversations_info(channel=channel_id)
        channel = resp["channel"]
    except Exception as exc:
        problems.append(
            f"I could not tell whether this channel is public ({slack_error_text(exc)}), so "
            "the incident is private: it is not announced outside this channel."
        )
        return None, None
    if channel.get("is_private") is None:
        return None, channel.get("name")
    # Slack Connect: other organisations are in it, or have been invited.
    shared = bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))
    return (not channel.get("is_private") and not shared), channel.get("name")


async def set_topic(rt: Runtime, incident: Incident, problems: list[str]) -> None:
    try:
        await rt.client.conversations_setTopic(
            channel=incident.channel_id or "", topic=card.channel_topic(incident)
        )
    except Exception as exc:
        problems.append(f"I could not set the channel topic ({slack_error_text(exc)}).")


async def post_card_then_checklists(
    rt: Runtime,
    incident: Incident,
    labels: dict[str, str],
    problems: list[str],
    after_card: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """The card, then the checklists (and `after_card`, at the same time): the card is the
    first message of the war room."""
    try:
        resp = await rt.client.chat_postMessage(
            channel=incident.channel_id or "",
            text=card.card_text(incident),
            blocks=card.card_blocks(incident, CardFacts(extra=await hooked_blocks(rt, incident))),
        )
    except Exception as exc:
        problems.append(f"I could not post the incident card ({slack_error_text(exc)}).")
    else:
        async with rt.db.session() as session:
            incident = await update_incident(session, incident.id or 0, card_ts=resp["ts"])
    if after_card is None:
        problems += await post_checklists(rt, incident, labels)
        return
    checklist_problems, _ = await asyncio.gather(
        post_checklists(rt, incident, labels), after_card()
    )
    problems += checklist_problems


async def announce(rt: Runtime, incident: Incident, problems: list[str]) -> None:
    """The announcement in the incidents channel (never for a private incident)."""
    broadcast = rt.settings.incident_broadcast_channel
    if not broadcast or incident.private or broadcast == incident.channel_id:
        return
    try:
        resp = await post_message(
            rt,
            broadcast,
            text=card.announcement_text(incident),
            blocks=card.announcement_blocks(incident),
            unfurl_links=False,
        )
    except Exception as exc:
        problems.append(
            f"I could not announce the incident in <#{broadcast}> ({slack_error_text(exc)})."
        )
        return
    async with rt.db.session() as session:
        await update_incident(
            session, incident.id or 0, announcement_channel_id=broadcast, announcement_ts=resp["ts"]
        )


# ---- the war room's name: a valid Slack channel name ----------------------------------------
def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug


def incident_channel_name(number: int, title: str, attempt: int = 0, *, drill: bool = False) -> str:
    """`inc-<number>-<slug>` (`drill-<number>-<slug>` for a drill); later attempts (after
    `name_taken`) end in `-2`, `-3`, ...

    Always lowercase a-z0-9 and dashes, at most 80 characters, never ending in a dash.
    """
    prefix = f"{'drill' if drill else 'inc'}-{number}"
    suffix = f"-{attempt + 1}" if attempt else ""
    room = MAX_CHANNEL_NAME - len(prefix) - len(suffix) - 1
    slug = slugify(title)[:room].strip("-")
    return f"{prefix}-{slug}{suffix}" if slug else f"{prefix}{suffix}"
