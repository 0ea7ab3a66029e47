"""Setting up an incident record for the postmortem tests: the real declare flow, then
timeline rows written straight into the test's database (as the timeline feature would)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.incidents.queries import update_incident
from storage.models.incidents import Incident
from storage.models.timeline import TimelineEntry, TimelineRevision
from storage.types import utcnow
from tests.conftest import RunningBot


async def ask(
    bot: RunningBot, text: str, *, user_id: str = "U111", channel_id: str = "C111", **extra: str
) -> str:
    """Send `/postmortem <text>` and return the ephemeral answer."""
    count = len(bot.fake.responses)
    await bot.slack.command(
        text,
        command="/postmortem",
        user_id=user_id,
        channel_id=channel_id,
        response_key=f"pm{count}",
        **extra,
    )
    answer = await bot.fake.wait_for_response(count + 1)
    assert answer["response_type"] == "ephemeral"
    return answer["text"]


async def declare_here(bot: RunningBot, title: str = "Checkout returns 500s") -> Incident:
    count = len(bot.fake.responses)
    await bot.slack.command(f"declare --here sev2 {title}", channel_id="C111", user_id="U111")
    await bot.fake.wait_for_response(count + 1)
    assert await bot.rt.wait_idle(15), "the declare did not finish"  # see declare_finished
    async with bot.rt.db.session() as session:
        incident = (await session.exec(select(Incident).order_by(Incident.id.desc()))).first()
    assert incident is not None and incident.channel_id == "C111"
    return incident


async def add_entry(
    bot: RunningBot,
    incident: Incident,
    kind: str,
    text: str,
    at: datetime,
    *,
    author_id: str | None = None,
    revisions: list[tuple[str, datetime]] = (),  # type: ignore[assignment]
    **values: Any,
) -> TimelineEntry:
    async with bot.rt.db.session() as session:
        entry = TimelineEntry(
            incident_id=incident.id,
            kind=kind,
            text=text,
            occurred_at=at,
            author_id=author_id,
            **values,
        )
        session.add(entry)
        await session.flush()
        for old_text, replaced_at in revisions:
            session.add(TimelineRevision(entry_id=entry.id, text=old_text, replaced_at=replaced_at))
    return entry


async def set_incident(bot: RunningBot, incident: Incident, **values: Any) -> Incident:
    async with bot.rt.db.session() as session:
        return await update_incident(session, incident.id or 0, **values)


def minutes(start: datetime, n: float) -> datetime:
    return start + timedelta(minutes=n)


async def uploaded(bot: RunningBot, filename_suffix: str, timeout: float = 10.0) -> str:
    """The content of the last completed upload whose name ends with the suffix."""

    def find() -> str | None:
        for upload in reversed(list(bot.fake.uploads.values())):
            if (
                str(upload.get("filename", "")).endswith(filename_suffix)
                and upload.get("completed")
                and "content" in upload
            ):
                return upload["content"].decode()
        return None

    return await bot.fake.wait_for(find, timeout, what=f"an upload named *{filename_suffix}")


LONG_TEXT = (
    "Stack trace follows\n# not a heading\n| not | a | table |\n> not a quote\n1. not a list\n"
    + "x" * 3000
    + "\nend of the long message"
)


async def build_record(bot: RunningBot) -> Incident:
    """A resolved incident with every kind of entry and a captured analysis."""
    incident = await declare_here(bot)
    t0 = incident.declared_at
    await add_entry(bot, incident, "log", "Deploy 4512 started", minutes(t0, -20), author_id="U222")
    await add_entry(
        bot, incident, "message", "Seeing 500s on /checkout", minutes(t0, 2), author_id="U222"
    )
    await add_entry(
        bot,
        incident,
        "thread_reply",
        "Confirmed in EU too",
        minutes(t0, 3),
        author_id="U333",
        thread_ts="1.0",
    )
    await add_entry(
        bot,
        incident,
        "message",
        "Rolled back deploy 4512",
        minutes(t0, 10),
        author_id="U222",
        key_event=True,
    )
    await add_entry(
        bot,
        incident,
        "status_update",
        "Investigating elevated 500s at checkout",
        minutes(t0, 5),
        author_id="U111",
    )
    await add_entry(
        bot, incident, "status_update", "Mitigated by rollback", minutes(t0, 40), author_id="U111"
    )
    await add_entry(
        bot,
        incident,
        "role_change",
        "<@U444> is now communicator",
        minutes(t0, 6),
        author_id="U111",
    )
    await add_entry(
        bot,
        incident,
        "message",
        "Error rate at 12 percent",
        minutes(t0, 7),
        author_id="U333",
        edited_at=minutes(t0, 8),
        revisions=[("Error rate at 2 percent", minutes(t0, 8))],
    )
    await add_entry(
        bot,
        incident,
        "message",
        "",
        minutes(t0, 9),
        author_id="U333",
        deleted_at=minutes(t0, 11),
        deleted_by="U333",
    )
    await add_entry(
        bot,
        incident,
        "file_share",
        "Grafana screenshot",
        minutes(t0, 12),
        author_id="U222",
        files=json.dumps(
            [{"id": "F1", "name": "errors.png", "permalink": "https://example.slack.com/files/F1"}]
        ),
    )
    await add_entry(bot, incident, "message", LONG_TEXT, minutes(t0, 13), author_id="U222")
    await add_entry(
        bot,
        incident,
        "message",
        "Honestly it was Dave's fault, careless deploy",
        minutes(t0, 14),
        author_id="U333",
    )
    incident = await set_incident(
        bot,
        incident,
        status="resolved",
        mitigated_at=minutes(t0, 30),
        resolved_at=minutes(t0, 90),
        communicator_id="U444",
        update_interval_seconds=900,
    )
    due = (utcnow() + timedelta(days=30)).date().isoformat()
    for text in (
        "summary A bad deploy made checkout return 500s for 30 minutes",
        "impact 12% of checkouts failed in EU and US",
        "factor technical Deploy 4512 shipped a config | with a pipe",
        "factor process Canary stage was skipped for config changes",
        "why Why did checkout fail? The config was invalid",
        "why Why was it invalid? No schema validation in CI",
        "well Rollback took 2 minutes",
        "poorly Alert fired 8 minutes late",
        "lesson Config is code",
        f"action P1 <@U222|bob> {due} F1: Validate config schema in CI before merge",
        f"action P2 <@U333|cy> {due} Add a checkout 500-rate alert at 2 percent for 5 minutes",
    ):
        answer = await ask(bot, text)
        assert answer.startswith(":white_check_mark:"), answer
    return incident
