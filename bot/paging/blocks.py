"""The page as a DM: the incident, severity, message and war room, with Acknowledge and
Escalate now; and the same DM once someone acknowledged."""

from __future__ import annotations

from typing import Any

from bot.incidents.labels import incident_label
from bot.slack.text import escape
from storage.models.incidents import Incident
from storage.models.paging import PageEscalation

ACK_ACTION = "paging_acknowledge"
ESCALATE_ACTION = "paging_escalate"


def page_text(incident: Incident, esc: PageEscalation) -> str:
    room = f"<#{incident.channel_id}>" if incident.channel_id else "no war room yet"
    said = f"\n> {escape(esc.message)}" if esc.message else ""
    return (
        f":rotating_light: *You are paged* for {incident_label(incident)} "
        f"({incident.severity.upper()}, service *{escape(esc.service)}*), war room {room}."
        f"{said}"
    )


def page_blocks(incident: Incident, esc: PageEscalation) -> list[dict[str, Any]]:
    value = f"{esc.id}:{esc.round}:{esc.level}"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": page_text(incident, esc)}},
        {
            "type": "actions",
            "block_id": "page_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACK_ACTION,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": ESCALATE_ACTION,
                    "text": {"type": "plain_text", "text": "Escalate now"},
                    "value": value,
                },
            ],
        },
    ]


def acked_blocks(incident: Incident, esc: PageEscalation, when: str) -> list[dict[str, Any]]:
    line = f":white_check_mark: Acknowledged by <@{esc.acked_by}> at {when}."
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": page_text(incident, esc)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]},
    ]


def parse_value(value: str) -> tuple[int, int, int] | None:
    parts = value.split(":")
    if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])
