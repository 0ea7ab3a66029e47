"""The postmortem draft as Markdown, from the incident record. Pure, no Slack, no database,
except draft.py, which loads the record, renders it with these and uploads the result.

Sections, in this order: 1 Summary, 2 Timeline, 3 Contributing factors (with the five
whys), 4 What went well, 5 What went poorly, 6 Action items, 7 Lessons learned,
8 Response metrics, 9 Blameless-language check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.postmortem.markdown import inline
from bot.postmortem.record import IncidentRecord
from bot.postmortem.render.actions import render_actions
from bot.postmortem.render.analysis import render_factors, render_list
from bot.postmortem.render.blame import render_blame_check
from bot.postmortem.render.common import Draft, when
from bot.postmortem.render.metrics import render_metrics
from bot.postmortem.render.summary import render_summary
from bot.postmortem.render.timeline import render_timeline
from storage.models.incidents import OPEN_STATUSES

SECTION_TITLES = (
    "1. Summary",
    "2. Timeline",
    "3. Contributing factors",
    "4. What went well",
    "5. What went poorly",
    "6. Action items",
    "7. Lessons learned",
    "8. Response metrics",
    "9. Blameless-language check",
)


def document_title(record: IncidentRecord) -> str:
    incident = record.incident
    return f"Postmortem: incident #{incident.id}, {' '.join(incident.title.split())}"


def render_postmortem(
    record: IncidentRecord,
    *,
    now: datetime,
    cadence_seconds: int,
    names: Mapping[str, str] | None = None,
    seen_before: Sequence[str] | None = None,
    picture: str | None = None,
    metrics_lines: Sequence[str] = (),
    after_timeline: Sequence[str] = (),
) -> str:
    d = Draft(
        record=record,
        now=now,
        cadence_seconds=cadence_seconds,
        names=names or {},
        seen_before=seen_before,
        picture=picture,
        metrics_lines=metrics_lines,
        after_timeline=after_timeline,
    )
    state = "open" if record.incident.status in OPEN_STATUSES else "resolved"
    parts: list[list[str]] = [
        [
            f"# Postmortem: incident \\#{record.incident.id}, {inline(record.incident.title)}",
            "",
            f"_Draft written by Sisyphus from the incident record on {when(now)}, while the "
            f"incident is {state}. Blameless: it is about how the system made this possible, "
            "not about who did what._",
        ],
        render_summary(d),
        render_timeline(d),
        render_factors(d),
        render_list(d, "well", "## 4. What went well", "/postmortem well <text>"),
        render_list(d, "poorly", "## 5. What went poorly", "/postmortem poorly <text>"),
        render_actions(d),
        render_list(d, "lesson", "## 7. Lessons learned", "/postmortem lesson <text>"),
        render_metrics(d),
        render_blame_check(d),
    ]
    return "\n\n".join("\n".join(p).rstrip() for p in parts) + "\n"
