"""What a status-update reminder says, and what it turns into once snoozed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.cadence.queries import ClaimedIncident
from bot.incidents.buttons import post_update_button, snooze_button
from bot.incidents.labels import incident_label
from bot.slack.durations import humanize
from bot.timeline.status_text import KNOWN, NEXT_STEPS, UNKNOWN
from storage.models.incidents import Incident

TEMPLATE = (
    f"*{KNOWN}* · *{UNKNOWN}* · *{NEXT_STEPS}* · *When the next update comes*\n"
    "Press *Post update* for the form, or `/incident update <text>`."
)


def prompt_message(
    incident: ClaimedIncident,
    *,
    recipients: list[str],
    escalated: bool,
    silent_seconds: float,
    interval_seconds: int,
    prompt_id: int,
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of a reminder to post a status update."""
    asked = " ".join(f"<@{u}>" for u in recipients) or "Nobody has taken command yet."
    if incident.last_update_at:
        since = f"It's been *{humanize(silent_seconds)}* since the last status update"
    else:
        since = (
            f"It's been *{humanize(silent_seconds)}* since the incident was declared, "
            "and there has been no status update yet"
        )
    label = incident_label(incident)
    line = f":alarm_clock: {asked} {since} on {label}. "
    line += "Time to tell everyone where things stand."
    if escalated:
        line += (
            f"\n:warning: The last reminders went unanswered, so I'm also asking the "
            f"commander <@{incident.commander_id}>."
        )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": line}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": TEMPLATE}]},
        {
            "type": "actions",
            "block_id": "update_prompt",
            "elements": [
                post_update_button(incident.id),
                snooze_button(prompt_id, f"Snooze {humanize(interval_seconds)}"),
            ],
        },
    ]
    text = f"{asked} time for a status update on incident #{incident.id}: {since.replace('*', '')}."
    return text, blocks


def snoozed_message(
    incident: Incident, user_id: str, until: datetime, now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The reminder after someone snoozed it: who did, and when the next one comes."""
    when = f"{until.strftime('%H:%M:%S UTC')} (in {humanize((until - now).total_seconds())})"
    text = f":zzz: <@{user_id}> snoozed this reminder. The next one comes at {when}."
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": [post_update_button(incident.id or 0)]},
    ]
    return text, blocks
