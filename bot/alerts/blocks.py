"""Block Kit for alerts: the triage card (one per alert group) and "All alerts resolved".

Within Slack's limits: at most 50 blocks, section text under 3000 characters, button and
option text under 75, at most 100 options in a select.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.alerts.queries import GroupState
from bot.incidents.labels import incident_label
from bot.slack.blocks import fit
from bot.slack.text import escape
from storage.models.incidents import Incident

DECLARE_ACTION = "alert_declare_incident"
ADD_TO_INCIDENT_ACTION = "alert_add_to_incident"
RESOLVE_ACTION = "alert_resolve_incident"
PAGE_ACTION = "alert_page_oncall"
MAX_ALERTS_SHOWN = 10
MAX_OPTIONS = 100
SOURCE_NAMES = {"alertmanager": "Alertmanager", "pagerduty": "PagerDuty"}


def _plain(text: str, limit: int = 75) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(label: str, url: str) -> str:
    """A mrkdwn link; `|` and `>` would end it early, so such URLs are shown escaped."""
    if any(ch in url for ch in "|<> "):
        return f"{label}: {escape(url)}"
    return f"<{escape(url)}|{label}>"


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


def _labels_text(labels: dict[str, str]) -> str:
    shown = [f"`{escape(k)}={escape(v)}`" for k, v in sorted(labels.items())]
    return fit("*Labels:* " + " ".join(shown)) if shown else "*Labels:* none"


def card_text(state: GroupState) -> str:
    g = state.group
    return f"Alert {g.status}: {escape(g.title)} ({g.severity.upper()})"


def triage_card(
    state: GroupState,
    incident: Incident | None,
    open_incidents: list[Incident],
    page_service: str | None = None,
) -> list[dict[str, Any]]:
    """`page_service`: the alert's service when it has an escalation policy ("Page on-call")."""
    g = state.group
    firing = [a for a in state.alerts if a.status == "firing"]
    icon = ":rotating_light:" if firing else ":white_check_mark:"
    source = SOURCE_NAMES.get(g.source, g.source)
    head = (
        f"{icon} *{escape(g.title)}*\n{source} · {g.severity.upper()} · "
        f"{len(firing)} firing, {len(state.alerts) - len(firing)} resolved · "
        f"first fired {when(g.first_starts_at)}"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(head)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _labels_text(state.labels)}},
    ]
    if g.description:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": fit(escape(g.description))}}
        )
    lines = []
    for alert in state.alerts[:MAX_ALERTS_SHOWN]:
        status = f"resolved {when(alert.ends_at)}" if alert.status == "resolved" else "firing"
        lines.append(f"• {escape(alert.name)}: {status} (since {when(alert.starts_at)})")
    if len(state.alerts) > MAX_ALERTS_SHOWN:
        lines.append(f"… and {len(state.alerts) - MAX_ALERTS_SHOWN} more")
    if g.alerts_left_out:
        lines.append(
            f":warning: {g.alerts_left_out:,} more alerts in the last send were left out: "
            f"this group holds at most {len(state.alerts):,} (ALERT_MAX_PER_GROUP)"
        )
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fit("\n".join(lines))}})
    if state.links:
        links = " · ".join(_link(label, url) for label, url in state.links)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": fit(links)}]})
    if incident is not None:
        where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": fit(f"*{incident_label(incident)}*{where}")}
                ],
            }
        )
        return blocks
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": DECLARE_ACTION,
            "text": {"type": "plain_text", "text": "Declare incident"},
            "style": "danger",
            "value": str(g.id),
        }
    ]
    if page_service is not None:
        elements.append(
            {
                "type": "button",
                "action_id": PAGE_ACTION,
                "text": {"type": "plain_text", "text": _plain(f"Page on-call ({page_service})")},
                "value": str(g.id),
                "confirm": {
                    "title": {"type": "plain_text", "text": "Page the on-call?"},
                    "text": {
                        "type": "mrkdwn",
                        "text": fit(
                            f"This declares an incident from the alert, with you in command, "
                            f"and pages *{escape(page_service)}*'s escalation policy."
                        ),
                    },
                    "confirm": {"type": "plain_text", "text": "Page"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }
        )
    choices = [i for i in open_incidents if not i.private][:MAX_OPTIONS]
    if choices:
        elements.append(
            {
                "type": "static_select",
                "action_id": ADD_TO_INCIDENT_ACTION,
                "placeholder": {"type": "plain_text", "text": "Add to incident #n"},
                "options": [
                    {
                        "text": {"type": "plain_text", "text": _plain(f"#{i.id}: {i.title}")},
                        "value": f"{g.id}:{i.id}",
                    }
                    for i in choices
                ],
            }
        )
    blocks.append({"type": "actions", "block_id": "alert_triage", "elements": elements})
    return blocks


def all_resolved_blocks(incident: Incident, title: str, at: datetime) -> list[dict[str, Any]]:
    text = (
        f":white_check_mark: *All alerts resolved at {at.strftime('%H:%M')} UTC* "
        f"({escape(title)}). The alerts going quiet is not verification: check, then resolve."
    )
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(text)}},
        {
            "type": "actions",
            "block_id": "alerts_resolved",
            "elements": [
                {
                    "type": "button",
                    "action_id": RESOLVE_ACTION,
                    "text": {"type": "plain_text", "text": "Resolve"},
                    "style": "primary",
                    "value": str(incident.id),
                }
            ],
        },
    ]


def all_resolved_text(at: datetime) -> str:
    return f"All alerts resolved at {at.strftime('%H:%M')} UTC"
