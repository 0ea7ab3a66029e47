"""Past incidents for the learning tests: rows written straight into the test's database, as
months of real incidents would have left them, and a way to ask the bot and read its answer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry
from tests.conftest import RunningBot

_keys = itertools.count(1)


@dataclass
class Past:
    title: str
    severity: str = "sev2"
    declared_at: datetime = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    private: bool = False
    drill: bool = False
    tags: str | None = None
    channel_id: str | None = None
    items: list[tuple[str, str, str | None]] = field(default_factory=list)  # kind, text, category
    actions: list[tuple] = field(default_factory=list)  # text, status[, due date]
    notes: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    # (kind, minutes after the declaration (negative: before), text), at exact times
    entries: list[tuple[str, float, str]] = field(default_factory=list)
    mitigated_after: float | None = 20
    resolved_after: float | None = 60


async def seed(bot: RunningBot, past: Past) -> Incident:
    at = past.declared_at
    async with bot.rt.db.session() as session:
        incident = Incident(
            title=past.title,
            severity=past.severity,
            status="resolved" if past.resolved_after is not None else "investigating",
            private=past.private,
            drill=past.drill,
            tags=past.tags,
            channel_id=past.channel_id,
            declared_by="U900",
            commander_id="U900",
            declared_at=at,
            mitigated_at=at + timedelta(minutes=past.mitigated_after)
            if past.mitigated_after is not None
            else None,
            resolved_at=at + timedelta(minutes=past.resolved_after)
            if past.resolved_after is not None
            else None,
            updated_at=at,
        )
        session.add(incident)
        await session.flush()
        assert incident.id is not None
        for n, (kind, text, category) in enumerate(past.items):
            session.add(
                PostmortemItem(
                    incident_id=incident.id,
                    kind=kind,
                    text=text,
                    category=category,
                    created_at=at + timedelta(minutes=70 + n),
                )
            )
        for n, (text, status, *due) in enumerate(past.actions, start=1):
            session.add(
                ActionItem(
                    incident_id=incident.id,
                    number=n,
                    priority="P2",
                    owner_id="U900",
                    due_date=due[0] if due else date(2026, 12, 1),
                    text=text,
                    status=status,
                )
            )
        minute = itertools.count(1)
        for kind, texts in (
            ("note", past.notes),
            ("status_update", past.updates),
            ("message", past.messages),
        ):
            for text in texts:
                session.add(
                    TimelineEntry(
                        incident_id=incident.id,
                        kind=kind,
                        text=text,
                        occurred_at=at + timedelta(minutes=next(minute)),
                        author_id="U900",
                    )
                )
        for kind, after, text in past.entries:
            session.add(
                TimelineEntry(
                    incident_id=incident.id,
                    kind=kind,
                    text=text,
                    occurred_at=at + timedelta(minutes=after),
                    author_id="U900",
                )
            )
    return incident


async def command(
    bot: RunningBot,
    text: str,
    *,
    command: str = "/postmortem",
    user: str = "U111",
    channel: str = "C111",
) -> dict[str, Any]:
    """Send a slash command; return the ephemeral answer (text and blocks)."""
    key = f"learn{next(_keys)}"
    await bot.slack.command(
        text, command=command, user_id=user, channel_id=channel, response_key=key
    )
    answer = await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == key), None),
        what=f"the answer to {command} {text}",
    )
    assert answer["response_type"] == "ephemeral"
    return answer


def section_texts(answer: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in answer.get("blocks") or [] if b.get("text")]
