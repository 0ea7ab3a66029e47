"""Declaring an incident, the one flow for every front door (the command, the form, the
shortcut, App Home, an alert's button and the alert worker), read top to bottom in `declare`:

1. the record (`record`): incident, reminder clock, first timeline entry, in one transaction
   before any Slack call, so a Slack failure never loses it (bot.alerts.declare links its
   alert group in the same transaction, after `record` returns: data, not a callback);
2. `conversations.create` (or, with `--here`, joining the channel), the first Slack call, while
   later domains add to the record what the card shows (DECLARED_HOOKS: similar incidents);
3. at once, each on its own (paced by its tier, retried by slack_sdk, its failure a sentence):
   the card and then the checklists, the topic, the invitation, the announcement, and the
   declarer's answer naming the war room (`DeclareRequest.tell`): they need not wait for the
   rest to have their channel. The card is the first message in the channel (an answer in the
   channel itself, with `--here`, goes once the card is posted). What did not work among the
   rest follows in a second answer; without a channel, the one answer says so at the end.

Steps 2 and 3 are `open_war_room`, after the record is committed.
The steps are in bot/response/war_room_steps.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cadence.queries import start_clock
from bot.core.errors import UserError
from bot.core.logs import bind_incident
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import create_incident, get_incident, open_incident_for_channel
from bot.response import war_room_steps as steps
from bot.response.declare_args import DeclareArgs
from bot.slack.text import escape
from bot.timeline.backfill import backfill_incident
from bot.timeline.queries import add_bot_action
from storage import StorageUnavailable
from storage.models.incidents import Incident

log = logging.getLogger(__name__)

# Run once a declared incident is stored, before its war room opens; each may return the
# incident updated (bot.learning adds similar past incidents, shown on the card).
DeclaredHook = Callable[[Runtime, Incident], Awaitable[Incident | None]]
DECLARED_HOOKS: list[DeclaredHook] = []
Tell = Callable[[str], Awaitable[None]]


@dataclass
class DeclareRequest:
    args: DeclareArgs
    user_id: str
    channel_id: str | None
    team_id: str | None = None
    description: str | None = None
    # None: the declarer commands. "" : nobody yet (declared by the bot from an alert).
    commander_id: str | None = None
    # Alert labels (`service: payments`): which checklists of CHECKLISTS_FILE apply.
    labels: dict[str, str] = field(default_factory=dict)
    # How the declarer is answered (ephemeral, by response_url or DM): once the war room exists,
    # and again if a later step did not work. None: nobody to answer (declared from an alert).
    tell: Tell | None = None


@dataclass
class DeclareOutcome:
    incident: Incident
    problems: list[str] = field(default_factory=list)
    told: int | None = None  # answered early: how many of `problems` that answer named


async def declare(rt: Runtime, req: DeclareRequest) -> DeclareOutcome:
    """The whole declare, top to bottom: the record, then `conversations.create` as the first
    Slack call, then everything that needs only the channel at once. The outcome (the incident
    as recorded, and what did not work) is what the declarer is told (`declared_message`)."""
    if req.args.here:
        await _check_here(rt, req)
    async with rt.db.session() as session:
        incident = await record(session, rt, req)
    return await open_war_room(rt, incident, req)


async def record(session: AsyncSession, rt: Runtime, req: DeclareRequest) -> Incident:
    """The incident, its reminder clock and its first timeline entry, in the caller's
    transaction, before any Slack call: a Slack failure never loses it. A caller with rows of
    its own to write in the same transaction (an alert group's link to its incident) writes
    them after this returns, then calls `open_war_room` once it is committed."""
    args = req.args
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
        service=_service(args.service or req.labels.get("service")),
    )
    incident = await start_clock(
        session,
        incident.id or 0,
        now=incident.declared_at,
        interval_seconds=rt.settings.update_interval_seconds,
    )
    await add_bot_action(
        session,
        incident.id,  # type: ignore[arg-type]  # set: create_incident flushed the row
        f"Incident declared by <@{req.user_id}>: {args.title} ({args.severity.upper()})",
        actor_id=req.user_id,
        occurred_at=incident.declared_at,
    )
    return incident


async def open_war_room(rt: Runtime, incident: Incident, req: DeclareRequest) -> DeclareOutcome:
    """Everything after the committed record: the channel, then the card, the topic, the
    invitation and the announcement at once."""
    outcome = DeclareOutcome(incident)
    bind_incident(incident.id)
    log.info("incident %s declared", incident.id)
    try:
        await _open_war_room(rt, outcome, req)
    except StorageUnavailable:
        outcome.problems.append(
            f"The database stopped answering while I opened the war room. Incident "
            f"#{incident.id} is recorded (do not declare it again); what I did in Slack "
            "may not all be recorded yet."
        )
    if req.tell is not None:
        await _tell_the_rest(req.tell, outcome)
    return outcome


async def _tell_the_rest(tell: Tell, outcome: DeclareOutcome) -> None:
    """The whole answer if none went early; else what did not work since, if anything."""
    if outcome.told is None:
        await tell(declared_message(outcome))
    elif later := outcome.problems[outcome.told :]:
        await tell(problems_message(outcome.incident, later))


def _answer_now(tell: Tell, outcome: DeclareOutcome) -> Awaitable[None]:
    """The declarer's answer as things stand (the war room exists); what comes later is told
    by _tell_the_rest."""
    outcome.told = len(outcome.problems)
    return tell(declared_message(outcome))


async def _open_war_room(rt: Runtime, outcome: DeclareOutcome, req: DeclareRequest) -> None:
    problems = outcome.problems
    if req.args.here:
        room = steps.join_here(rt, outcome.incident, req.args.private, problems)
    else:
        room = steps.create_channel(rt, outcome.incident, problems)
    # The later domains' additions to the card (similar incidents) meanwhile: database only.
    with_room, _ = await asyncio.gather(room, _run_declared_hooks(rt, outcome))
    incident = outcome.incident
    incident.channel_id, incident.channel_name = with_room.channel_id, with_room.channel_name
    incident.private = with_room.private
    if req.args.here:
        # What was said between the declaration and the bot joining goes into the timeline.
        rt.spawn(backfill_incident(rt, incident), name="timeline-backfill-here")
    at_once: list[Awaitable[None]] = [steps.announce(rt, incident, problems)]
    if incident.channel_id:
        # With `--here` the answer is shown in the war room itself: after the card.
        tell, after_card = req.tell, None
        if tell is not None and req.args.here:
            after_card, tell = partial(_answer_now, tell, outcome), None
        at_once += [
            steps.post_card_then_checklists(rt, incident, req.labels, problems, after_card),
            steps.set_topic(rt, incident, problems),
        ]
        if not req.args.here:
            at_once.append(steps.invite_declarer(rt, incident, req.user_id, problems))
        if tell is not None:
            at_once.append(_answer_now(tell, outcome))
    results = await asyncio.gather(*at_once, return_exceptions=True)
    await _reread(rt, outcome)
    for result in results:
        if isinstance(result, StorageUnavailable):
            raise result
        if isinstance(result, BaseException):
            log.error("a war room step failed unexpectedly", exc_info=result)
            problems.append("One step of opening the war room failed unexpectedly (logged).")


async def _reread(rt: Runtime, outcome: DeclareOutcome) -> None:
    """The incident as the steps left it (each recorded its own part: channel, card, ...)."""
    async with rt.db.session() as session:
        found = await get_incident(session, outcome.incident.id or 0)
    if found is not None:
        outcome.incident = found


async def _check_here(rt: Runtime, req: DeclareRequest) -> None:
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


def _service(name: str | None) -> str | None:
    """`--service` (checked against the catalog by the command) or the alert's `service` label
    (whatever the alert says: the card shows an on-call only for a service in the catalog)."""
    name = " ".join((name or "").split())
    return name[:80] or None


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
    """Later domains' additions to a new incident before its card is posted (database work,
    while the channel is created); a failing one is logged and skipped: the war room matters
    more."""
    for hook in DECLARED_HOOKS:
        try:
            updated = await hook(rt, outcome.incident)
        except Exception:
            log.exception("declare hook %s failed", getattr(hook, "__name__", hook))
            continue
        if updated is not None:
            outcome.incident = updated


def problems_message(incident: Incident, problems: list[str]) -> str:
    """The second answer: what did not work after the first answer named the war room."""
    head = f":warning: {incident_label(incident)}, war room <#{incident.channel_id}>: "
    return head + "what did not work:\n" + "\n".join(f"• {p}" for p in problems)


def declared_message(outcome: DeclareOutcome) -> str:
    """What the declarer is told, ephemerally, once the war room exists (or could not)."""
    incident = outcome.incident
    if incident.channel_id:
        head = (
            f":rotating_light: {incident_label(incident)} is declared "
            f"({incident.severity.upper()}). War room: <#{incident.channel_id}>. "
            "You are the commander."
        )
    else:
        head = f":warning: {incident_label(incident)} is recorded, but it has no war room yet."
    if outcome.problems:
        head += "\nWhat did not work:\n" + "\n".join(f"• {p}" for p in outcome.problems)
    return head
