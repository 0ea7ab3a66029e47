"""The checklist in the war room: Block Kit checkboxes, posted at declare, redrawn after each
tick or addition; ticking and unticking are timeline entries; the card shows the progress.

Within Block Kit's limits: 10 options a checkboxes element (one element per actions block,
its block_id naming its items), at most 50 blocks a message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from bot.checklists.card_refresh import refresh_card
from bot.checklists.config import CHECKLISTS, ChecklistDef
from bot.checklists.queries import (
    add_items,
    checklist_message,
    items_of,
    save_checklist_message,
    set_done,
    set_open,
)
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.slack.client import slack_error_text
from bot.slack.text import escape
from bot.timeline.queries import add_bot_action
from storage.models.checklists import ChecklistItem
from storage.models.incidents import Incident
from storage.models.timeline import EntryKind
from storage.types import utcnow

log = logging.getLogger(__name__)

TICK_ACTION = "checklist_tick"
BLOCK_PREFIX = "checklist"
PER_ELEMENT = 10
OPTION_TEXT = 75  # Block Kit's limit on an option's text, and on its description
MAX_BLOCKS = 50
ADDED = "Added during the incident"


def checklists(rt: Runtime) -> tuple[ChecklistDef, ...]:
    """The checklists this bot was started with (bot/checklists/config.py reads them)."""
    return rt.config.get(CHECKLISTS)


def matching(
    defs: tuple[ChecklistDef, ...], severity: str, labels: dict[str, str]
) -> list[ChecklistDef]:
    return [d for d in defs if d.matches(severity, labels)]


def _option(item: ChecklistItem) -> dict[str, Any]:
    """One checkbox: Block Kit allows 75 characters of text and 75 of description, so a longer
    item (up to MAX_TEXT, more once escaped) goes on in the description while unticked; the
    whole text is in `/incident checklist`."""
    shown, rest = _fit(item.text, OPTION_TEXT)
    option: dict[str, Any] = {"text": {"type": "mrkdwn", "text": shown}, "value": str(item.id)}
    if item.done_at:
        when = item.done_at.strftime("%H:%M UTC")
        option["description"] = {"type": "mrkdwn", "text": f"ticked by <@{item.done_by}> at {when}"}
    elif rest:
        option["description"] = {"type": "mrkdwn", "text": "…" + _fit(rest, OPTION_TEXT - 1)[0]}
    return option


def _fit(text: str, limit: int) -> tuple[str, str]:
    """The escaped text within `limit` characters (cut with "…", never inside an escape), and
    what was left out, unescaped."""
    if len(escape(text)) <= limit:
        return escape(text), ""
    cut = min(len(text), limit - 1)
    while cut > 0 and len(escape(text[:cut].rstrip())) > limit - 1:
        cut -= 1
    return escape(text[:cut].rstrip()) + "…", text[cut:].lstrip()


def items_of_block(block_id: str) -> list[int]:
    """The item ids a checklist element governs, from its block_id (`checklist:3,4,5`)."""
    prefix, _, ids = block_id.partition(":")
    if prefix != BLOCK_PREFIX:
        return []
    return [int(i) for i in ids.split(",") if i.isdigit()]


def checklist_blocks(incident: Incident, items: list[ChecklistItem]) -> list[dict[str, Any]]:
    done = sum(1 for i in items if i.done_at)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":clipboard: *Checklist for {incident_label(incident)}*: "
                f"{done}/{len(items)} done. Tick items as you go; each tick is in the timeline.",
            },
        }
    ]
    shown = 0
    for name, group in groupby(items, key=lambda i: i.checklist):
        members = list(group)
        # Room is kept for the closing "Add an item" line and, unless this is the last group,
        # for the "…and N more" line a later group that does not fit would need.
        last = shown + len(members) == len(items)
        room = MAX_BLOCKS - (1 if last else 2)
        if len(blocks) + 1 + -(-len(members) // PER_ELEMENT) > room:
            break
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(name)}*"}})
        for start in range(0, len(members), PER_ELEMENT):
            chunk = members[start : start + PER_ELEMENT]
            element: dict[str, Any] = {
                "type": "checkboxes",
                "action_id": TICK_ACTION,
                "options": [_option(i) for i in chunk],
            }
            ticked = [_option(i) for i in chunk if i.done_at]
            if ticked:
                element["initial_options"] = ticked
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"{BLOCK_PREFIX}:" + ",".join(str(i.id) for i in chunk),
                    "elements": [element],
                }
            )
            shown += len(chunk)
    if shown < len(items):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"…and {len(items) - shown} more: `/incident checklist`.",
                    }
                ],
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Add an item: `/incident checklist add <text>`."}
            ],
        }
    )
    return blocks


def checklist_text(incident: Incident, items: list[ChecklistItem]) -> str:
    """The checklist in words, for `/incident checklist`."""
    if not items:
        return (
            f"{incident_label(incident)} has no checklist. Add an item with "
            "`/incident checklist add <text>`."
        )
    done = sum(1 for i in items if i.done_at)
    lines = [f"*Checklist for {incident_label(incident)}*: {done}/{len(items)} done"]
    for name, group in groupby(items, key=lambda i: i.checklist):
        lines.append(f"*{escape(name)}*")
        for item in group:
            mark = ":white_check_mark:" if item.done_at else ":white_large_square:"
            who = (
                f" (<@{item.done_by}>, {item.done_at.strftime('%H:%M UTC')})"
                if item.done_at
                else ""
            )
            lines.append(f"{mark} {escape(item.text)}{who}")
    return "\n".join(lines)


async def redraw(rt: Runtime, incident: Incident, problems: list[str]) -> None:
    """Post the checklist message, or bring it up to date; then the card's progress."""
    if not incident.channel_id:
        return
    async with rt.db.session() as session:
        items = await items_of(session, incident.id or 0)
        where = await checklist_message(session, incident.id or 0)
    if not items:
        return
    blocks = checklist_blocks(incident, items)
    text = f"Checklist for incident #{incident.id}"
    try:
        if where is not None and where.ts:
            await rt.client.chat_update(
                channel=where.channel_id, ts=where.ts, text=text, blocks=blocks
            )
        else:
            resp = await rt.client.chat_postMessage(
                channel=incident.channel_id, text=text, blocks=blocks
            )
            async with rt.db.session() as session:
                await save_checklist_message(
                    session, incident.id or 0, incident.channel_id, resp["ts"]
                )
    except Exception as exc:
        problems.append(f"I could not show the checklist ({slack_error_text(exc)}).")
    problems.extend(await refresh_card(rt, incident))


async def post_checklists(rt: Runtime, incident: Incident, labels: dict[str, str]) -> list[str]:
    """At declare: the configured checklists that match, as checkboxes in the war room.

    Called again for the same incident (a retried declare), it adds nothing twice.
    """
    found = matching(checklists(rt), incident.severity, labels)
    problems: list[str] = []
    if not found:
        return problems
    async with rt.db.session() as session:
        if await items_of(session, incident.id or 0):
            return problems
        for checklist in found:
            await add_items(session, incident.id or 0, checklist.name, checklist.items)
    await redraw(rt, incident, problems)
    return problems


async def add_item(rt: Runtime, incident: Incident, text: str, user_id: str) -> list[str]:
    async with rt.db.session() as session:
        await add_items(session, incident.id or 0, ADDED, [text], added_by=user_id)
        await add_bot_action(
            session,
            incident.id or 0,
            f"<@{user_id}> added a checklist item: {text}",
            actor_id=user_id,
            kind=EntryKind.CHECKLIST,
        )
    problems: list[str] = []
    await redraw(rt, incident, problems)
    return problems


def shown_ticked(message: dict[str, Any] | None, block_id: str) -> set[int] | None:
    """The items the person's screen showed ticked before their click: the element's
    initial_options in the message of the payload (None when Slack did not send it)."""
    if not message:
        return None
    for block in message.get("blocks") or []:
        if block.get("block_id") == block_id:
            for element in block.get("elements") or []:
                return {
                    int(o["value"])
                    for o in element.get("initial_options") or []
                    if str(o.get("value", "")).isdigit()
                }
    return None


@dataclass
class TickOutcome:
    problems: list[str] = field(default_factory=list)  # what did not work (Slack, the card)
    beaten: list[str] = field(default_factory=list)  # ticks someone else made first


async def apply_ticks(
    rt: Runtime, user_id: str, block_id: str, selected: set[int], before: set[int] | None
) -> TickOutcome:
    """Apply what the person changed: tick what they ticked, untick what they unticked.

    The change is the difference between the element's selection and what their screen
    showed (`before`), so a stale or repeated delivery cannot undo someone else's tick.
    Without `before`, the selection is taken as the whole truth for the element's items.
    Each change is a conditional update with its timeline entry in one transaction: a tick
    delivered twice (two replicas, a retry) records one entry. Two people ticking the same
    item at once: the first tick is recorded, and the other is told who was first.
    """
    ids = items_of_block(block_id)
    if not ids:
        raise UserError("That checklist is out of date; `/incident checklist` shows it.")
    if before is not None:
        ids = [i for i in ids if (i in selected) != (i in before)]
        if not ids:
            return TickOutcome()
    now = utcnow()
    outcome = TickOutcome()
    async with rt.db.session() as session:
        # Writes first: on SQLite a transaction that read before writing can lose its snapshot.
        ticked = [i for i in ids if i in selected and await set_done(session, i, user_id, now)]
        unticked = [i for i in ids if i not in selected and await set_open(session, i)]
        first = await session.get(ChecklistItem, ids[0])
        if first is None:
            raise UserError("I can't find that checklist any more.")
        for item_id in ids:
            item = await session.get(ChecklistItem, item_id)
            if item is None:
                continue
            if item_id in selected and item_id not in ticked:
                # Only a change the person made (`before` known), not their own retry.
                if before is not None and item.done_by and item.done_by != user_id:
                    outcome.beaten.append(f"<@{item.done_by}> ticked it first: {escape(item.text)}")
                continue
            if item_id not in ticked + unticked:
                continue
            verb = "ticked" if item_id in ticked else "unticked"
            await add_bot_action(
                session,
                item.incident_id,
                f"<@{user_id}> {verb}: {item.text}",
                actor_id=user_id,
                kind=EntryKind.CHECKLIST,
                occurred_at=now,
            )
        incident = await get_incident(session, first.incident_id)
    if incident is not None:
        await redraw(rt, incident, outcome.problems)
    return outcome


async def redraw_for_block(rt: Runtime, block_id: str) -> None:
    """Show the checklist's real state again (after a refused tick)."""
    ids = items_of_block(block_id)
    if not ids:
        return
    async with rt.db.session() as session:
        first = await session.get(ChecklistItem, ids[0])
        incident = await get_incident(session, first.incident_id) if first else None
    if incident is not None:
        await redraw(rt, incident, [])
