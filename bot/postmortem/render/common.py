"""What every section of the draft shares: the record, people's names, the time format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.postmortem.markdown import inline
from bot.postmortem.record import IncidentRecord
from storage.models.postmortem import PostmortemItem


def when(moment: datetime | None) -> str:
    """`2026-11-26 14:03:05 UTC`; the record's datetimes are UTC-aware already."""
    if moment is None:
        return "—"
    return moment.isoformat(" ", "seconds")[:19] + " UTC"  # isoformat is C: fast for 50k


@dataclass
class Draft:
    """The input of every section renderer."""

    record: IncidentRecord
    now: datetime
    cadence_seconds: int
    names: Mapping[str, str] = field(default_factory=dict)
    # Added by later domains (bot.learning): "Seen before" lines (Markdown) for section 3,
    # None for no such section; and a picture of the incident (a Markdown image) for section 2.
    seen_before: Sequence[str] | None = None
    picture: str | None = None
    metrics_lines: Sequence[str] = ()  # section 8's extra lines (bot.metrics: error budget)
    # Markdown lines later domains add after the timeline (bot.status: what was said publicly).
    after_timeline: Sequence[str] = ()

    _who_cache: dict[tuple[str | None, str | None], str] = field(default_factory=dict)

    def who(self, user_id: str | None, fallback: str | None = None) -> str:
        """`@name` for a Slack user (escaped), the fallback name, or `unassigned`."""
        key = (user_id, fallback)
        shown = self._who_cache.get(key)
        if shown is None:
            if user_id:
                shown = "@" + inline(self.names.get(user_id) or fallback or user_id)
            else:
                shown = inline(fallback) if fallback else "_unassigned_"
            self._who_cache[key] = shown
        return shown

    def items(self, kind: str) -> list[PostmortemItem]:
        return [i for i in self.record.items if i.kind == kind]

    def latest(self, kind: str) -> PostmortemItem | None:
        found = self.items(kind)
        return found[-1] if found else None


def placeholder(command: str) -> str:
    return f"_Nothing captured yet. Add it with `{command}`._"
