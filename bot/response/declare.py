"""Declaring an incident: record it first, then open the war room step by step.

The incident is stored before any Slack call, so a Slack failure never loses it; each
Slack step that fails is reported to the declarer in plain words instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cadence.queries import start_clock
from bot.checklists.board import post_checklists
from bot.core.errors import UserError
from bot.core.logs import bind_incident
from bot.core.runtime import Runtime
from bot.incidents import cards
from bot.incidents.queries import create_incident, open_incident_for_channel, update_incident
from bot.response.channel_names import incident_channel_name
from bot.response.declare_args import DeclareArgs
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.posting import post_message
from bot.slack.text import escape
from bot.timeline.backfill import backfill_incident
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models.incidents import Incident

log = logging.getLogger(__name__)

MAX_NAME_ATTEMPTS = 5
Notify = Callable[[str], Awaitable[None]]
# Run once a declared incident is stored, before its war room opens; each may return the
# incident updated (bot.learning adds similar past incidents, shown on the card).
DeclaredHook = Callable[[Runtime, Incident], Awaitable[Incident | None]]
DECLARED_HOOKS: list[DeclaredHook] = []


@dataclass
class DeclareRequest:
    args: DeclareArgs
    user_id: str
    channel_id: str | None
    team_id: str | None = None
    description: str | None = None
    # None: the declarer commands. "" : nobody yet (declared by the bot from an alert).
    commander_id: str | None = None
    # Runs in the incident's own transaction (links an alert group exactly once); may raise.
    on_recorded: Callable[[AsyncSession, Incident], Awaitable[None]] | None = None
    # Alert labels (`service: payments`): which checklists of CHECKLISTS_FILE apply.
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class DeclareOutcome:
    incident: Incident
    problems: list[str] = field(default_factory=list)


async def declare(rt: Runtime, req: DeclareRequest) -> DeclareOutcome:
    args = req.args
    if args.here:
        if not req.channel_id:
            raise UserError("`--here` needs a channel; run it in the channel to use.")
        async with rt.db.session() as session:
            existing = await open_incident_for_channel(session, req.channel_id)
        if existing is not None:
            raise UserError(
                f"This channel is already the war room of incident #{existing.id} "
                f"({escape(existing.title)}), which is still open."
            )
        await _refuse_private_shared_channel(rt, req.channel_id)
    async with rt.db.session() as session:
        incident = await create_incident(
            session,
            title=args.title,
            severity=args.severity,
            declared_by=req.user_id,
            description=req.description,
            # `--here`: private until the channel is known to be public (fail closed).
            private=args.private or args.here,
            team_id=req.team_id,
            channel_id=req.channel_id if args.here else None,
            declared_in_channel_id=req.channel_id,
            commander_id=req.commander_id,
            drill=args.drill,
        )
        incident = await start_clock(
            session,
            incident.id or 0,
            now=incident.declared_at,
            interval_seconds=rt.settings.update_interval_seconds,
        )
        if req.on_recorded is not None:
            await req.on_recorded(session, incident)
        await add_bot_action(
            session,
            incident.id,  # type: ignore[arg-type]  # set: create_incident flushed the row
            f"Incident declared by <@{req.user_id}>: {args.title} ({args.severity.upper()})",
            actor_id=req.user_id,
            occurred_at=incident.declared_at,
        )
    outcome = DeclareOutcome(incident)
    bind_incident(incident.id)
    log.info("incident %s declared", incident.id)
    await _run_declared_hooks(rt, outcome)
    try:
        await _open_war_room(rt, outcome, req)
    except StorageUnavailable:
        outcome.problems.append(
            f"The database stopped answering while I opened the war room. Incident "
            f"#{incident.id} is recorded (do not declare it again); what I did in Slack may "
            "not all be recorded yet."
        )
    return outcome


async def _refuse_private_shared_channel(rt: Runtime, channel_id: str) -> None:
    """A private incident never lives in a channel shared with another organisation.

    `--here` in a private channel makes a private incident (`--private --here` is refused
    outright, see declare_args), so a private channel shared through Slack Connect is refused.
    If Slack cannot say, the declaration goes on: joining tells whether the bot can be there.
    """
    try:
        info = (await rt.client.conversations_info(channel=channel_id)).get("channel") or {}
    except Exception:
        return
    shared = info.get("is_ext_shared") or info.get("is_pending_ext_shared")
    if shared and info.get("is_private"):
        raise UserError(
            "This private channel is shared with another organisation (Slack Connect), and an "
            "incident declared in a private channel is private: its people would see "
            "everything. Declare it without `--here` and add `--private`: I will open a private "
            "channel of our own."
        )


async def _run_declared_hooks(rt: Runtime, outcome: DeclareOutcome) -> None:
    """Later domains' additions to a new incident before its card is posted; a failing one is
    logged and skipped: the war room matters more."""
    for hook in DECLARED_HOOKS:
        try:
            updated = await hook(rt, outcome.incident)
        except Exception:
            log.exception("declare hook %s failed", getattr(hook, "__name__", hook))
            continue
        if updated is not None:
            outcome.incident = updated


async def _open_war_room(rt: Runtime, outcome: DeclareOutcome, req: DeclareRequest) -> None:
    if req.args.here:
        await _join_here(rt, outcome, req.args.private)
        # What was said between the declaration and the bot joining goes into the timeline.
        rt.spawn(backfill_incident(rt, outcome.incident), name="timeline-backfill-here")
    else:
        await _create_channel(rt, outcome, req.user_id)
    if outcome.incident.channel_id:
        await _set_topic(rt, outcome)
        await _post_card(rt, outcome)
        outcome.problems += await post_checklists(rt, outcome.incident, req.labels)
    await _announce(rt, outcome)


async def _create_channel(rt: Runtime, outcome: DeclareOutcome, user_id: str) -> None:
    incident = outcome.incident
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
            outcome.incident = await update_incident(
                session, incident.id or 0, channel_id=channel["id"], channel_name=channel["name"]
            )
        if user_id == rt.bot_user_id:  # declared by the bot itself: nobody to invite
            return
        try:
            await rt.client.conversations_invite(channel=channel["id"], users=user_id)
        except SlackApiError as exc:
            if slack_error_code(exc) not in ("already_in_channel", "cant_invite_self"):
                outcome.problems.append(
                    f"I could not invite you to the channel: {slack_error_text(exc)}."
                )
        except Exception as exc:
            outcome.problems.append(
                f"I could not invite you to the channel: {slack_error_text(exc)}."
            )
        return
    outcome.problems.append(
        f"I could not create the incident channel ({last_error}). The incident is recorded as "
        f"#{incident.id}; run `/incident declare --here {escape(incident.title)}` in a channel "
        "you create yourself, or try again."
    )


async def _join_here(rt: Runtime, outcome: DeclareOutcome, asked_private: bool) -> None:
    """Join the channel and learn whether it is public. Private fails closed: the incident was
    stored private, and becomes public only when `conversations.info` says the channel is
    neither private nor shared with another organisation; nothing is announced before that."""
    incident = outcome.incident
    channel_id = incident.channel_id or ""
    public, name = await _channel_is_public(rt, channel_id, outcome)
    if public is not False:
        try:
            await rt.client.conversations_join(channel=channel_id)
        except SlackApiError as exc:
            if slack_error_code(exc) == "method_not_supported_for_channel_type":
                public = False  # a private channel (we can only be here if invited)
            else:
                outcome.problems.append(
                    f"I could not join this channel ({slack_error_text(exc)}); `/invite` me so "
                    "I can follow the conversation."
                )
        except Exception as exc:
            outcome.problems.append(f"I could not join this channel ({slack_error_text(exc)}).")
    private = asked_private or not public
    async with rt.db.session() as session:
        outcome.incident = await update_incident(
            session, incident.id or 0, private=private, channel_name=name or incident.channel_name
        )


async def _channel_is_public(
    rt: Runtime, channel_id: str, outcome: DeclareOutcome
) -> tuple[bool | None, str | None]:
    """(True: public and not shared, False: private or shared with another organisation,
    None: unknown; and its name)."""
    try:
        resp = await rt.client.conversations_info(channel=channel_id)
        channel = resp["channel"]
    except Exception as exc:
        outcome.problems.append(
            f"I could not tell whether this channel is public ({slack_error_text(exc)}), so "
            "the incident is private: it is not announced outside this channel."
        )
        return None, None
    if channel.get("is_private") is None:
        return None, channel.get("name")
    # Slack Connect: other organisations are in it, or have been invited.
    shared = bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))
    return (not channel.get("is_private") and not shared), channel.get("name")


async def _set_topic(rt: Runtime, outcome: DeclareOutcome) -> None:
    try:
        await rt.client.conversations_setTopic(
            channel=outcome.incident.channel_id or "", topic=cards.channel_topic(outcome.incident)
        )
    except Exception as exc:
        outcome.problems.append(f"I could not set the channel topic ({slack_error_text(exc)}).")


async def _post_card(rt: Runtime, outcome: DeclareOutcome) -> None:
    incident = outcome.incident
    try:
        resp = await rt.client.chat_postMessage(
            channel=incident.channel_id or "",
            text=cards.card_text(incident),
            blocks=cards.card_blocks(incident),
        )
    except Exception as exc:
        outcome.problems.append(f"I could not post the incident card ({slack_error_text(exc)}).")
        return
    async with rt.db.session() as session:
        outcome.incident = await update_incident(session, incident.id or 0, card_ts=resp["ts"])


async def _announce(rt: Runtime, outcome: DeclareOutcome) -> None:
    incident = outcome.incident
    broadcast = rt.settings.incident_broadcast_channel
    if not broadcast or incident.private or broadcast == incident.channel_id:
        return
    try:
        resp = await post_message(
            rt,
            broadcast,
            text=cards.announcement_text(incident),
            blocks=cards.announcement_blocks(incident),
            unfurl_links=False,
        )
    except Exception as exc:
        outcome.problems.append(
            f"I could not announce the incident in <#{broadcast}> ({slack_error_text(exc)})."
        )
        return
    async with rt.db.session() as session:
        outcome.incident = await update_incident(
            session, incident.id or 0, announcement_channel_id=broadcast, announcement_ts=resp["ts"]
        )


def declared_message(outcome: DeclareOutcome) -> str:
    """What the declarer is told, ephemerally, once the war room is (or is not) ready."""
    incident = outcome.incident
    if incident.channel_id:
        head = (
            f":rotating_light: {cards.incident_label(incident)} is declared "
            f"({incident.severity.upper()}). War room: <#{incident.channel_id}>. "
            "You are the commander."
        )
    else:
        head = (
            f":warning: {cards.incident_label(incident)} is recorded, but it has no war room yet."
        )
    if outcome.problems:
        head += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in outcome.problems)
    return head
