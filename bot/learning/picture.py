"""A picture of one incident for its postmortem: on one UTC time axis, the status and severity
bands, each status update against when it was due (late ones marked), message volume per
minute, and key events and alerts.

The status and severity over time are read from the timeline's own records of the changes
(the bot writes "changed the status from X to Y"); updates are due one cadence after the
declaration or the previous update.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.learning.charts import SEVERITY_COLOURS, STATUS_COLOURS, new_figure, to_png
from bot.postmortem.record import IncidentRecord
from storage.models.timeline import EntryKind

PICTURE_SIZE = (1400, 800)
FONT = 13
_STATUS = re.compile(r"changed the status from (\w+) to (\w+)")
_SEVERITY = re.compile(r"changed the severity from (SEV\d) to (SEV\d)", re.I)
MESSAGE_KINDS = frozenset(
    {
        EntryKind.MESSAGE,
        EntryKind.THREAD_REPLY,
        EntryKind.THREAD_BROADCAST,
        EntryKind.FILE_SHARE,
        EntryKind.BOT_MESSAGE,
    }
)


@dataclass
class Band:
    label: str
    start: datetime
    end: datetime


@dataclass
class Update:
    at: datetime
    due: datetime

    @property
    def late(self) -> bool:
        return self.at > self.due


@dataclass
class Picture:
    start: datetime
    end: datetime
    status: list[Band] = field(default_factory=list)
    severity: list[Band] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    per_minute: Counter[datetime] = field(default_factory=Counter)
    key_events: list[datetime] = field(default_factory=list)
    alerts: list[datetime] = field(default_factory=list)


def _bands(
    changes: list[tuple[datetime, str]], first: str, start: datetime, end: datetime
) -> list[Band]:
    bands: list[Band] = []
    label, since = first, start
    for at, new in changes:
        at = min(max(at, start), end)
        if at > since:
            bands.append(Band(label, since, at))
        label, since = new, max(since, at)
    if end > since:
        bands.append(Band(label, since, end))
    return bands


def picture_of(record: IncidentRecord, cadence_seconds: int, now: datetime) -> Picture:
    incident = record.incident
    declared = incident.declared_at
    live = [e for e in record.entries if e.deleted_at is None]
    times = [e.occurred_at for e in live]
    start = min([declared, *times])
    end = max([incident.resolved_at or now, *times])
    if end <= start:
        end = start + timedelta(minutes=1)
    status_changes: list[tuple[datetime, str]] = []
    severity_changes: list[tuple[datetime, str, str]] = []
    picture = Picture(start=start, end=end)
    cadence = timedelta(seconds=cadence_seconds)
    due = declared + cadence
    for e in live:
        if e.kind == EntryKind.STATUS_CHANGE:
            if match := _STATUS.search(e.text):
                status_changes.append((e.occurred_at, match.group(2)))
            elif "resolved the incident" in e.text:
                status_changes.append((e.occurred_at, "resolved"))
            elif "reopened the incident" in e.text:
                status_changes.append((e.occurred_at, "investigating"))
        elif e.kind == EntryKind.SEVERITY_CHANGE:
            if match := _SEVERITY.search(e.text):
                old, new = match.group(1).lower(), match.group(2).lower()
                severity_changes.append((e.occurred_at, old, new))
        elif e.kind == EntryKind.STATUS_UPDATE and e.occurred_at >= declared:
            picture.updates.append(Update(e.occurred_at, due))
            due = e.occurred_at + cadence
        if e.kind in MESSAGE_KINDS:
            picture.per_minute[e.occurred_at.replace(second=0, microsecond=0)] += 1
        if e.key_event:
            picture.key_events.append(e.occurred_at)
        if e.kind == EntryKind.BOT_MESSAGE:
            picture.alerts.append(e.occurred_at)
    first_severity = severity_changes[0][1] if severity_changes else incident.severity
    picture.status = _bands(status_changes, "investigating", declared, end)
    picture.severity = _bands(
        [(at, new) for at, _, new in severity_changes], first_severity, declared, end
    )
    return picture


def _iso(moment: datetime) -> str:
    """To the nearest second (matplotlib's float dates are off by a fraction of a µs)."""
    rounded = (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
    return rounded.isoformat(timespec="seconds")


def draw_picture(picture: Picture, title: str) -> bytes:
    import matplotlib.dates as mdates

    figure = new_figure(*PICTURE_SIZE)
    figure.suptitle(title, fontsize=FONT + 3)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    num = mdates.date2num
    data: dict[str, Any] = {
        "size": list(PICTURE_SIZE),
        "start": _iso(picture.start),
        "end": _iso(picture.end),
    }

    def bands(row: float, items: list[Band], colours: dict[str, str]) -> list[list[str]]:
        drawn = []
        for band in items:
            [bar] = top.barh(
                row,
                num(band.end) - num(band.start),
                left=num(band.start),
                height=0.8,
                color=colours.get(band.label, "#cfd8dc"),
                edgecolor="white",
            )
            left = mdates.num2date(bar.get_x())
            right = mdates.num2date(bar.get_x() + bar.get_width())
            drawn.append([band.label, _iso(left), _iso(right)])
            if bar.get_width() > (num(picture.end) - num(picture.start)) / 25:
                top.text(
                    bar.get_x() + bar.get_width() / 2, row, band.label.upper()
                    if band.label.startswith("sev") else band.label,
                    ha="center", va="center", fontsize=FONT - 2,
                )  # fmt: skip
        return drawn

    data["severity_bands"] = bands(3, picture.severity, SEVERITY_COLOURS)
    data["status_bands"] = bands(2, picture.status, STATUS_COLOURS)

    on_time = [u for u in picture.updates if not u.late]
    late = [u for u in picture.updates if u.late]
    for u in late:
        top.plot([num(u.due), num(u.at)], [1, 1], color="#c62828", linewidth=2)
    ok_marks = top.scatter([num(u.at) for u in on_time], [1] * len(on_time), marker="|", s=400,
                           color="#2e7d32", linewidths=3, label="update on time")  # fmt: skip
    late_marks = top.scatter([num(u.at) for u in late], [1] * len(late), marker="x", s=120,
                             color="#c62828", linewidths=3, label="late update")  # fmt: skip
    due_marks = top.scatter([num(u.due) for u in late], [1] * len(late), marker="|", s=200,
                            color="#9e9e9e", linewidths=2, label="when it was due")  # fmt: skip

    def times_of(marks: Any) -> list[str]:
        return [_iso(mdates.num2date(x)) for x, _ in marks.get_offsets()]

    data["updates"] = {
        "on_time": times_of(ok_marks),
        "late": times_of(late_marks),
        "due_of_late": times_of(due_marks),
    }
    key_marks = top.scatter([num(t) for t in picture.key_events], [0] * len(picture.key_events),
                            marker="*", s=180, color="#6a1b9a", label="key event")  # fmt: skip
    alert_marks = top.scatter([num(t) for t in picture.alerts], [0] * len(picture.alerts),
                              marker="^", s=90, color="#d84315", label="alert")  # fmt: skip
    data["key_events"] = times_of(key_marks)
    data["alerts"] = times_of(alert_marks)
    top.set_yticks([0, 1, 2, 3])
    top.set_yticklabels(["events", "updates", "status", "severity"], fontsize=FONT)
    top.set_ylim(-0.6, 3.6)
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=FONT - 3)

    # Every minute of the span, quiet ones included, drawn as one step outline (fast even for
    # tens of thousands of minutes).
    first = picture.start.replace(second=0, microsecond=0)
    span_minutes = int((picture.end - first).total_seconds() // 60) + 1
    values = [0] * span_minutes
    for minute, n in picture.per_minute.items():
        index = int((minute - first).total_seconds() // 60)
        if 0 <= index < span_minutes:
            values[index] += n
    edges = [num(first + timedelta(minutes=i)) for i in range(span_minutes + 1)]
    steps = bottom.stairs(values, edges, fill=True, color="#1565c0")
    drawn_values = [int(v) for v in steps.get_data().values]
    data["volume"] = {
        "minutes": sum(1 for v in drawn_values if v),
        "messages": sum(drawn_values),
        "busiest": max(drawn_values, default=0),
    }
    bottom.set_ylabel("messages\nper minute", fontsize=FONT)
    bottom.set_xlabel("time (UTC)", fontsize=FONT)
    span = picture.end - picture.start
    fmt = "%H:%M" if span <= timedelta(hours=20) else "%m-%d %H:%M"
    bottom.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=mdates.UTC))
    bottom.xaxis.set_major_locator(mdates.AutoDateLocator(tz=mdates.UTC, maxticks=10))
    bottom.tick_params(labelsize=FONT - 1)
    pad = (num(picture.end) - num(picture.start)) / 100  # marks at the edges stay whole
    bottom.set_xlim(num(picture.start) - pad, num(picture.end) + pad)
    # Fixed margins (room for the legend on the right): tight_layout costs more than drawing.
    figure.subplots_adjust(left=0.08, right=0.84, top=0.92, bottom=0.09, hspace=0.08)
    return to_png(figure, data)
