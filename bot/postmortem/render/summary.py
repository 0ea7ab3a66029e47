"""Section 1: Summary."""

from __future__ import annotations

from bot.postmortem.markdown import block, cell, slack_to_plain
from bot.postmortem.metrics import human_duration
from bot.postmortem.render.common import Draft, placeholder, when
from storage.models import OPEN_STATUSES


def render_summary(d: Draft) -> list[str]:
    incident = d.record.incident
    is_open = incident.status in OPEN_STATUSES
    status = (
        f"Open ({incident.status}): this draft was written while the incident is still open"
        if is_open
        else "Resolved"
    )
    end = incident.resolved_at or d.now
    duration = human_duration(end - incident.declared_at) + (" so far" if is_open else "")
    summary = d.latest("summary")
    impact = d.latest("impact")
    out = ["## 1. Summary", ""]
    out.append(
        block(slack_to_plain(summary.text, d.names))
        if summary
        else placeholder("/postmortem summary <text>")
    )
    out.append("")
    rows = [
        ("Title", cell(incident.title)),
        ("Severity", incident.severity.upper()),
        ("Status", status),
        ("Started (declared)", when(incident.declared_at)),
        ("Mitigated", when(incident.mitigated_at) if incident.mitigated_at else "not yet"),
        ("Resolved", when(incident.resolved_at) if incident.resolved_at else "not yet"),
        ("Duration", duration),
        (
            "Impact",
            cell(slack_to_plain(impact.text, d.names))
            if impact
            else "_not captured yet (`/postmortem impact <text>`)_",
        ),
        ("Commander", d.who(incident.commander_id)),
        ("Communicator", d.who(incident.communicator_id)),
    ]
    if incident.description:
        rows.append(("First report", cell(slack_to_plain(incident.description, d.names))))
    if incident.resolution_summary:
        rows.append(("Resolution", cell(slack_to_plain(incident.resolution_summary, d.names))))
    out += ["| | |", "|---|---|"]
    out += [f"| **{label}** | {value} |" for label, value in rows]
    return out
