"""Imported schedules, and how they are printed: the `oncall` section of our file.

A layer we cannot reproduce exactly (a participant who is not a person we can name, a
restriction we have no words for) is printed commented out, with the reason above it: the
file stays valid, and nothing is dropped unseen. Other differences are noted as comments on
the schedule (and on stderr, by cli.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.oncall.config import MAX_NAME, RESERVED_NAMES

WEEK = 7 * 86400


@dataclass
class ImportedLayer:
    name: str
    members: list[str]
    turn: timedelta
    start: datetime  # naive, in the schedule's zone
    restrictions: list[str] = field(default_factory=list)
    left_out: str | None = None  # why it is printed commented out


@dataclass
class Imported:
    vendor: str
    source_id: str
    title: str
    time_zone: str
    layers: list[ImportedLayer]
    notes: list[str] = field(default_factory=list)

    @property
    def active(self) -> list[ImportedLayer]:
        return [layer for layer in self.layers if layer.left_out is None]

    def problems(self) -> list[str]:
        """Every note, the left-out layers' reasons among them."""
        out = list(self.notes)
        out += [
            f"layer `{x.name}` left out (commented out): {x.left_out}"
            for x in self.layers
            if x.left_out
        ]
        return out


def one_line(text: str) -> str:
    """Vendor text made safe for a YAML comment: one line, no control characters."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()


def _q(text: str) -> str:
    return json.dumps(one_line(text), ensure_ascii=False)  # a JSON string is YAML too


def schedule_name(title: str, taken: set[str]) -> str:
    """One word for `/oncall <name>`, unique among those printed."""
    base = re.sub(r"[^a-z0-9_.-]+", "-", title.lower()).strip("-.")[: MAX_NAME - 12] or "schedule"
    if base in RESERVED_NAMES:
        base += "-schedule"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def rotation_lines(turn: timedelta) -> list[str]:
    seconds = int(turn.total_seconds())
    for unit, size in (("weekly", WEEK), ("daily", 86400), ("hourly", 3600)):
        if seconds % size == 0:
            return [f"rotation: {unit}", f"interval: {seconds // size}"]
    if seconds % 60 == 0:
        return [f"every: {seconds // 60}m"]
    return [f"every: {seconds}s"]


def _start(start: datetime) -> str:
    return start.strftime("%Y-%m-%dT%H:%M:%S" if start.second else "%Y-%m-%dT%H:%M")


def layer_lines(layer: ImportedLayer) -> list[str]:
    lines = [f"- name: {_q(layer.name)}"]
    body = [f"members: [{', '.join(_q(m) for m in layer.members)}]"]
    body += rotation_lines(layer.turn)
    body.append(f'start: "{_start(layer.start)}"')
    if layer.restrictions:
        body.append(f"restrictions: [{', '.join(_q(r) for r in layer.restrictions)}]")
    return lines + ["  " + line for line in body]


def schedule_lines(schedule: Imported, name: str) -> list[str]:
    out = [f"# {schedule.vendor} schedule {one_line(schedule.source_id)}: {_q(schedule.title)}"]
    out += [f"# NOT TRANSLATED: {one_line(note)}" for note in schedule.notes]
    body = [f"- name: {name}", f"  time_zone: {_q(schedule.time_zone)}", "  layers:"]
    for layer in schedule.layers:
        lines = ["    " + line for line in layer_lines(layer)]
        if layer.left_out:
            body.append(f"    # NOT TRANSLATED, left out: {one_line(layer.left_out)}")
            lines = [
                "    # " + line.strip() if i == 0 else "    #   " + line.strip()
                for i, line in enumerate(lines)
            ]
        body += lines
    if not schedule.active:  # no layer left: the schedule itself is commented out
        out.append("# NOT TRANSLATED, left out: no layer of this schedule could be translated")
        body = ["# " + line for line in body]
    return out + body


def render(schedules: list[Imported], *, header: str) -> str:
    taken: set[str] = set()
    lines = [f"# {one_line(header)}"]
    lines.append(
        "# Members are email addresses: the bot finds each person's Slack account by email "
        "(users.lookupByEmail)."
    )
    count = sum(len(s.problems()) for s in schedules)
    if count:
        lines.append(f"# {count} thing(s) did not translate: see NOT TRANSLATED below.")
    lines.append("oncall:")
    lines.append("  schedules:" if any(s.active for s in schedules) else "  schedules: []")
    for schedule in schedules:
        name = schedule_name(schedule.title, taken)
        lines += ["    " + line for line in schedule_lines(schedule, name)]
    return "\n".join(lines) + "\n"
