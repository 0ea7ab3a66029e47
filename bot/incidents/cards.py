"""Block Kit for an incident: the card in the war room, the announcement, the channel topic."""

from __future__ import annotations

from typing import Any, Protocol

from bot.core.runtime import Runtime
from bot.incidents.buttons import post_update_button, take_command_button
from bot.slack.client import slack_error_text
from bot.slack.text import escape, mention
from storage.models import Incident

STATUS_EMOJI = {
    "investigating": ":mag:",
    "identified": ":bulb:",
    "mitigated": ":adhesive_bandage:",
    "monitoring": ":eyes:",
    "resolved": ":white_check_mark:",
}


class Titled(Protocol):
    """An incident, or a row read for a reminder: anything with a number and a title."""

    @property
    def id(self) -> int | None: ...

    @property
    def title(self) -> str: ...


def plain_label(incident_id: int | None, title: str) -> str:
    """ "Incident #12: API down", for plain_text fields, which Slack shows as typed."""
    return f"Incident #{incident_id}: {title}"


def incident_label(incident: Titled) -> str:
    """The same label for mrkdwn: the title escaped."""
    return plain_label(incident.id, escape(incident.title))


def channel_topic(incident: Incident) -> str:
    topic = (
        f"{incident.severity.upper()} | {incident.status} | "
        f"Commander: {mention(incident.commander_id)}"
    )
    if incident.communicator_id:
        topic += f" | Communicator: {mention(incident.communicator_id)}"
    return topic[:250]


def card_blocks(incident: Incident) -> list[dict[str, Any]]:
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
    if incident.description:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _fit(escape(incident.description))},
            }
        )
    if incident.paged:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(incident.paged)}]}
        )
    if incident.status != "resolved":
        buttons = [post_update_button(incident.id or 0)]
        if not incident.commander_id:
            buttons.insert(0, take_command_button(incident.id or 0))
        blocks.append({"type": "actions", "block_id": "incident_actions", "elements": buttons})
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": (
                            "*What now:* talk here; every message goes into the timeline. "
                            "Commander, name a communicator: `/incident communicator @someone`. "
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
                ),
            },
        }
    ]


def announcement_text(incident: Incident) -> str:
    where = f"<#{incident.channel_id}>" if incident.channel_id else ""
    return f"{incident_label(incident)} declared ({incident.severity.upper()}). {where}".strip()


def _fit(text: str, limit: int = 2900) -> str:
    """Keep a section under Slack's 3000 characters without cutting an `&...;` entity."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + " … (cut here)"


async def refresh_card(rt: Runtime, incident: Incident, *, topic: bool = True) -> list[str]:
    """Bring the card and the channel topic up to date; return what failed, in plain words.

    `topic=False` leaves the topic alone: Slack posts a message each time it is set.
    """
    problems: list[str] = []
    if not incident.channel_id:
        return problems
    if incident.card_ts:
        try:
            await rt.client.chat_update(
                channel=incident.channel_id,
                ts=incident.card_ts,
                text=card_text(incident),
                blocks=card_blocks(incident),
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
