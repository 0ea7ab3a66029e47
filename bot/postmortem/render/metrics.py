"""Section 8: response metrics."""

from __future__ import annotations

from datetime import timedelta

from bot.postmortem.markdown import inline
from bot.postmortem.metrics import human_duration, page_acks, response_metrics
from bot.postmortem.render.common import Draft, when


def render_metrics(d: Draft) -> list[str]:
    incident = d.record.incident
    m = response_metrics(incident, d.record.entries, d.cadence_seconds, d.now)
    out = ["## 8. Response metrics", ""]
    if m.time_to_detect is not None and m.time_to_detect >= timedelta(0):
        out.append(
            f"- **Time to detect:** {human_duration(m.time_to_detect)} (from the first alert, "
            f"{when(m.first_alert_at)}, to the declaration)"
        )
    elif m.time_to_detect is not None:
        out.append(
            f"- **Time to detect:** the first alert fired {human_duration(-m.time_to_detect)} "
            f"after the declaration ({when(m.first_alert_at)})"
        )
    if m.time_to_first_response is not None:
        out.append(
            f"- **Time to first response:** {human_duration(m.time_to_first_response)} "
            f"(first message or action by a person after the declaration, "
            f"{when(m.first_response_at)})"
        )
    else:
        out.append("- **Time to first response:** no one has responded in the record yet")
    for page in page_acks(d.record.pages):
        service = inline(page.service)
        if page.time_to_acknowledge is not None:
            out.append(
                f"- **Time to acknowledge** (page of {service}): "
                f"{human_duration(page.time_to_acknowledge)}, by {d.who(page.acked_by)}"
            )
        else:
            why = {"exhausted": "nobody acknowledged it", "cancelled": "cancelled unacknowledged"}
            out.append(
                f"- **Time to acknowledge** (page of {service}): "
                f"{why.get(page.status, 'not acknowledged yet')}"
            )
    out.append(
        f"- **Time to mitigation:** {human_duration(m.time_to_mitigation)}"
        if m.time_to_mitigation is not None
        else "- **Time to mitigation:** not mitigated yet"
    )
    out.append(
        f"- **Time to resolution:** {human_duration(m.time_to_resolution)}"
        if m.time_to_resolution is not None
        else "- **Time to resolution:** not resolved yet"
    )
    out.append(f"- **Status updates:** {m.status_updates}")
    gap = m.longest_gap
    if gap is not None:
        verdict = (
            f"{human_duration(gap.length - m.cadence)} over the cadence"
            if gap.length > m.cadence
            else "within the cadence"
        )
        out.append(
            f"- **Longest gap without a status update:** {human_duration(gap.length)} "
            f"({gap.label}, {when(gap.start)} to {when(gap.end)}) against a cadence of "
            f"{human_duration(m.cadence)}: {verdict}"
        )
    out += list(d.metrics_lines)
    return out
