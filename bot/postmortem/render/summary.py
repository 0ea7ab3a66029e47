"""Section 1: Summary."""

from __future__ import annotations

from bot.postmortem.markdown import block, cell, slack_to_plain
from bot.postmortem.metrics import human_duration
from bot.postmortem.render.common import Draft, placeholder, when
from storage.models.incidents import OPEN_STATUSES
from storage.models.timeline import EntryKind


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
    rows.append(("Verified", _verified(d)))
    out += ["| | |", "|---|---|"]
    out += [f"| **{label}** | {value} |" for label, value in rows]
    return out + _never_ticked(d)


def _verified(d: Draft) -> str:
    """How we know it was fixed; resolved without knowing is flagged."""
    found = [
        e for e in d.record.entries if e.kind == EntryKind.VERIFICATION and e.deleted_at is None
    ]
    if found:
        return cell(slack_to_plain(found[-1].text, d.names))
    if d.record.incident.status in OPEN_STATUSES:
        return "not yet (`/incident verify <how we know it is fixed>`)"
    return (
        "**:warning: resolved without verification.** Nobody recorded how we knew the fix "
        "worked (`/incident verify <how>`)"
    )


def _never_ticked(d: Draft) -> list[str]:
    items = d.record.checklist
    if not items:
        return []
    open_items = [i for i in items if i.done_at is None]
    done = len(items) - len(open_items)
    out = ["", f"**Checklist:** {done}/{len(items)} done."]
    if open_items:
        out.append("Never ticked:")
        out += [f"- {cell(i.text)} ({cell(i.checklist)})" for i in open_items]
    return out
