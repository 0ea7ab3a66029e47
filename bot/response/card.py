"""The incident card in the war room as Block Kit, and its refresh; the announcement and the
channel topic. The card is the response's, all of it, here: its action ids, what it shows
besides the incident row (checklist progress, runbooks, verification, and what later domains
add through CARD_HOOKS: bot.oncall's who is on call for its service); its controls are
card_controls.py's."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checklists.queries import latest_verification
from bot.core.runtime import Runtime
from bot.incidents.buttons import post_update_button
from bot.incidents.labels import STATUS_EMOJI, incident_label
from bot.slack.blocks import fit
from bot.slack.client import slack_error_text
from bot.slack.mrkdwn import escape_keeping_mentions
from bot.slack.text import escape, mention
from storage.models.checklists import ChecklistItem, IncidentRunbook
from storage.models.incidents import OPEN_STATUSES, SEVERITIES, Incident

# ---- the card's action ids (card_controls.py handles them; bot.alerts the Take command) ----
STATUS_ACTION = "card_status"
SEVERITY_ACTION = "card_severity"
TAKE_COMMAND_ACTION = "take_command"
COMMUNICATOR_ACTION = "card_communicator"
RESOLVE_ACTION = "card_resolve"
CONTROLS_BLOCK = "incident_controls"


def controls_block_id(incident_id: int) -> str:
    return f"{CONTROLS_BLOCK}:{incident_id}"


def incident_of_block(block_id: str) -> int | None:
    """The incident a card control belongs to, from its block_id; None if it is not one."""
    prefix, _, number = block_id.partition(":")
    return int(number) if prefix == CONTROLS_BLOCK and number.isdigit() else None


# Nobody commands an incident declared from an alert: the first to press takes it (bot.alerts).
CLAIM_COMMAND_ACTION = "take_incident_command"


def take_command_button(incident_id: int) -> dict[str, Any]:
    """On the card of an incident nobody commands yet (declared from an alert)."""
    return {
        "type": "button",
        "action_id": CLAIM_COMMAND_ACTION,
        "text": {"type": "plain_text", "text": "Take command"},
        "style": "danger",
        "value": str(incident_id),
    }


# ---- what the card shows besides the incident row ------------------------------------------
log = logging.getLogger(__name__)

# Each renders its part of the card, each time the card is posted or refreshed (so it is
# current), as at most MAX_HOOK_BLOCKS section or context blocks within Block Kit's limits.
CardHook = Callable[[Runtime, Incident], Awaitable[list[dict[str, Any]]]]
CARD_HOOKS: list[CardHook] = []
MAX_HOOK_BLOCKS = 3  # the card's own blocks leave room for these


@dataclass(frozen=True)
class CardFacts:
    checklist_done: int = 0
    checklist_total: int = 0
    runbooks: tuple[tuple[str, str | None], ...] = ()
    verification: str | None = None  # the latest `/incident verify` entry's text
    extra: tuple[dict[str, Any], ...] = ()  # the later domains' blocks (CARD_HOOKS)


async def card_facts(session: AsyncSession, incident_id: int) -> CardFacts:
    total = (
        await session.exec(select(func.count()).where(ChecklistItem.incident_id == incident_id))
    ).one()
    done = (
        await session.exec(
            select(func.count()).where(
                ChecklistItem.incident_id == incident_id, col(ChecklistItem.done_at).is_not(None)
            )
        )
    ).one()
    runbooks = (
        await session.exec(
            select(IncidentRunbook)
            .where(IncidentRunbook.incident_id == incident_id)
            .order_by(col(IncidentRunbook.id))
        )
    ).all()
    verified = await latest_verification(session, incident_id)
    return CardFacts(
        done, total, tuple((r.url, r.title) for r in runbooks), verified.text if verified else None
    )


async def hooked_blocks(rt: Runtime, incident: Incident) -> tuple[dict[str, Any], ...]:
    """The later domains' blocks for the card; a failing hook is logged and left out (the card
    matters more)."""
    blocks: list[dict[str, Any]] = []
    for hook in CARD_HOOKS:
        try:
            blocks += await hook(rt, incident)
        except Exception:
            log.exception("card hook %s failed", getattr(hook, "__name__", hook))
    return tuple(blocks[:MAX_HOOK_BLOCKS])


def similar_incidents(incident: Incident) -> list[dict[str, Any]]:
    """The similar past incidents stored on the incident when it was declared (bot.learning)."""
    if not incident.similar:
        return []
    try:
        found = json.loads(incident.similar)
    except ValueError:
        return []
    return (
        [s for s in found if isinstance(s, dict) and "id" in s] if isinstance(found, list) else []
    )


def _similar_block(incident: Incident) -> dict[str, Any] | None:
    lines = []
    for past in similar_incidents(incident)[:3]:
        where = f" <#{past['channel_id']}>" if past.get("channel_id") else ""
        title = escape(" ".join(str(past.get("title", "")).split()))[:150]
        lines.append(f"• #{past['id']} {title} ({past.get('date', '')}){where}")
    if not lines:
        return None
    text = "*Similar past incidents*\n" + "\n".join(lines)
    return {
        "type": "section",
        "block_id": "similar_incidents",
        "text": {"type": "mrkdwn", "text": text},
    }


def channel_topic(incident: Incident) -> str:
    topic = (
        f"{incident.severity.upper()} | {incident.status} | "
        f"Commander: {mention(incident.commander_id)}"
    )
    if incident.communicator_id:
        topic += f" | Communicator: {mention(incident.communicator_id)}"
    return topic[:250]


def card_blocks(incident: Incident, facts: CardFacts | None = None) -> list[dict[str, Any]]:
    facts = facts or CardFacts()
    declared = incident.declared_at.strftime("%Y-%m-%d %H:%M UTC")
    last_update = (
        incident.last_update_at.strftime("%Y-%m-%d %H:%M UTC")
        if incident.last_update_at
        else "_none yet_"
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f":rotating_light: *{incident_label(incident)}*"},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Severity*\n{incident.severity.upper()}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Status*\n{STATUS_EMOJI.get(incident.status, '')} {incident.status}",
                },
                {"type": "mrkdwn", "text": f"*Commander*\n{_commander(incident)}"},
                {"type": "mrkdwn", "text": f"*Communicator*\n{mention(incident.communicator_id)}"},
                {"type": "mrkdwn", "text": f"*Declared*\n{declared}"},
                {"type": "mrkdwn", "text": f"*Last update*\n{last_update}"},
            ],
        },
    ]
    blocks += _process_blocks(incident, facts)
    blocks += facts.extra
    if incident.drill:
        blocks.insert(
            1,
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": ":performing_arts: *DRILL*: a game day. Respond as you would for "
                        "real; reminders, checklists and the postmortem all work as usual.",
                    }
                ],
            },
        )
    if incident.tags:
        tags = " ".join(f"`{t}`" for t in incident.tags.split())
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Tags: {tags}"}]}
        )
    if incident.description:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _fit(escape(incident.description))},
            }
        )
    similar = _similar_block(incident)
    if similar is not None:
        blocks.append(similar)
    if incident.paged:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(incident.paged)}]}
        )
    if incident.status != "resolved":
        blocks.append(card_controls(incident))
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": (
                            "*What now:* talk here; every message goes into the timeline. "
                            "Commander, name a communicator (the picker above, or "
                            "`/incident communicator @someone`). "
                            "Log what you try: `/incident note <text>`. "
                            "Everything else: `/incident help`."
                        ),
                    }
                ],
            }
        )
    return blocks


def _commander(incident: Incident) -> str:
    if incident.commander_id:
        return mention(incident.commander_id)
    return "_nobody yet: declared from an alert. Take command below._"


def _process_blocks(incident: Incident, facts: CardFacts) -> list[dict[str, Any]]:
    """Checklist progress, runbook links and the verification, when there are any."""
    lines = []
    if facts.checklist_total:
        lines.append(
            f"*Checklist:* {facts.checklist_done}/{facts.checklist_total} done "
            "(`/incident checklist`)"
        )
    if facts.runbooks:
        links = [
            f"<{_link_safe(url)}|{escape((title or url)[:80])}>"
            for url, title in facts.runbooks[:10]
        ]
        lines.append("*Runbooks:* " + " · ".join(links))
    if facts.verification:
        lines.append(f"*Verified:* {escape_keeping_mentions(facts.verification)}")
    elif incident.status == "resolved":
        lines.append("*Verified:* not yet. `/incident verify <how we know it is fixed>`")
    if not lines:
        return []
    return [{"type": "section", "text": {"type": "mrkdwn", "text": _fit("\n".join(lines))}}]


def _link_safe(url: str) -> str:
    """A URL inside <url|label>: the characters that would end or break the link escaped."""
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def card_controls(incident: Incident) -> dict[str, Any]:
    """Every state change from the card: status, severity, command, communicator, update,
    resolve. The block_id carries the incident, so each control knows which one it changes."""
    statuses = [_option(s.capitalize(), s) for s in OPEN_STATUSES]
    severities = [_option(s.upper(), s) for s in SEVERITIES]
    status_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": STATUS_ACTION,
        "placeholder": {"type": "plain_text", "text": "Status"},
        "options": statuses,
    }
    current = next((o for o in statuses if o["value"] == incident.status), None)
    if current:
        status_select["initial_option"] = current
    severity_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": SEVERITY_ACTION,
        "placeholder": {"type": "plain_text", "text": "Severity"},
        "options": severities,
    }
    level = next((o for o in severities if o["value"] == incident.severity), None)
    if level:
        severity_select["initial_option"] = level
    communicator: dict[str, Any] = {
        "type": "users_select",
        "action_id": COMMUNICATOR_ACTION,
        "placeholder": {"type": "plain_text", "text": "Communicator"},
    }
    if incident.communicator_id:
        communicator["initial_user"] = incident.communicator_id
    return {
        "type": "actions",
        "block_id": controls_block_id(incident.id or 0),
        "elements": [
            status_select,
            severity_select,
            take_command_button(incident.id or 0)
            if not incident.commander_id  # declared from an alert: the first to press takes it
            else {
                "type": "button",
                "action_id": TAKE_COMMAND_ACTION,
                "text": {"type": "plain_text", "text": "Take command"},
                "value": str(incident.id or 0),
            },
            communicator,
            post_update_button(incident.id or 0),
            {
                "type": "button",
                "action_id": RESOLVE_ACTION,
                "text": {"type": "plain_text", "text": "Resolve"},
                "style": "danger",
                "value": str(incident.id or 0),
            },
        ],
    }


def card_text(incident: Incident) -> str:
    return f"{incident_label(incident)} ({incident.severity.upper()}, {incident.status})"


def announcement_blocks(incident: Incident) -> list[dict[str, Any]]:
    where = f"<#{incident.channel_id}>" if incident.channel_id else "(no channel yet)"
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    f":rotating_light: *{incident_label(incident)}* declared, "
                    f"{incident.severity.upper()}.\n"
                    f"Commander: {mention(incident.commander_id)}. War room: {where}"
                    + (
                        "\n:performing_arts: *This is a drill*, a practice game day, "
                        "not a real incident."
                        if incident.drill
                        else ""
                    )
                ),
            },
        }
    ]


def announcement_text(incident: Incident) -> str:
    where = f"<#{incident.channel_id}>" if incident.channel_id else ""
    text = f"{incident_label(incident)} declared ({incident.severity.upper()}). {where}".strip()
    return text + (" This is a drill, not a real incident." if incident.drill else "")


def _fit(text: str) -> str:
    """Keep a section under Slack's 3000 characters (bot.slack.blocks.fit), saying where."""
    return fit(text, marker=" … (cut here)")


async def refresh_card(rt: Runtime, incident: Incident, *, topic: bool = True) -> list[str]:
    """Bring the card and the channel topic up to date; return what failed, in plain words.

    `topic=False` leaves the topic alone: Slack posts a message each time it is set.
    """
    problems: list[str] = []
    if not incident.channel_id:
        return problems
    if incident.card_ts:
        try:
            async with rt.db.session() as session:
                facts = await card_facts(session, incident.id or 0)
            facts = replace(facts, extra=await hooked_blocks(rt, incident))
            await rt.client.chat_update(
                channel=incident.channel_id,
                ts=incident.card_ts,
                text=card_text(incident),
                blocks=card_blocks(incident, facts),
            )
        except Exception as exc:
            problems.append(f"I could not update the incident card ({slack_error_text(exc)}).")
    if not topic:
        return problems
    try:
        await rt.client.conversations_setTopic(
            channel=incident.channel_id, topic=channel_topic(incident)
        )
    except Exception as exc:
        problems.append(f"I could not update the channel topic ({slack_error_text(exc)}).")
    return problems


async def refresh_card_only(rt: Runtime, incident: Incident) -> list[str]:
    """The card, not the topic: what checklists, below, refresh through CARD_REFRESH_HOOKS."""
    return await refresh_card(rt, incident, topic=False)
