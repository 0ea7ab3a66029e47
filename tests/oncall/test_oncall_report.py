"""`/oncall report` over real HTTP: the figures privately, from the file's schedules, the
overrides, the pages of the schedule's services and the incidents commanded; working hours
from the file or NUDGE_HOURS in the person's Slack zone; the chart as a PNG sent to the reader
(the fake Slack's files.getUploadURLExternal / completeUploadExternal), its bars matching."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.models.alerts import AlertGroup, PageEvent
from storage.models.incidents import Incident
from storage.models.oncall import OncallOverride
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.block_limits import problems
from tests.support.png import png_data

CONFIG = """\
services:
  - name: checkout
    oncall: payments
  - name: search
oncall:
  people:
    U222: {time_zone: Europe/Berlin, working_hours: "mon-fri 09:00-18:00"}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222, carol@example.com]
          rotation: daily
          start: "2026-01-01T09:00"
    - name: lookout
      time_zone: UTC
      layers:
        - name: all
          members: ["x<y@example.com"]
          rotation: weekly
          start: "2026-01-05T00:00"
"""
NEW_YORK = ZoneInfo("America/New_York")
_keys = itertools.count(1)


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    running = await start_bot(config_file=str(path), nudge_hours="09-18", nudge_days="mon-sun")
    running.fake.add_user("U111", tz="Europe/Berlin")
    running.fake.add_user("U222", tz="Asia/Tokyo")  # the file's zone wins for U222
    running.fake.add_user("U333", tz="America/New_York", profile={"display_name": "Dana"})
    running.fake.add_user("UCAROL", profile={"email": "Carol@Example.com"})
    return running


async def report(bot: RunningBot, text: str, *, user: str = "U111") -> str:
    """`/oncall report <text>`: its answers' text (each answer ephemeral, within Block Kit's
    limits)."""
    key = f"report{next(_keys)}"
    await bot.slack.command(f"report {text}", command="/oncall", user_id=user, response_key=key)
    found = await bot.fake.wait_for(
        lambda: [r for r in bot.fake.responses if r["_key"] == key] or None,
        what=f"the answer to /oncall report {text}",
    )
    texts = []
    for answer in found:
        assert answer.get("response_type") == "ephemeral"
        assert problems(answer.get("blocks") or []) == [], answer
        for block in answer.get("blocks") or []:
            if block["type"] == "section":
                texts.append(block["text"]["text"])
            elif block["type"] == "context":
                texts += [e["text"] for e in block["elements"]]
    return "\n".join(texts) or found[0]["text"]


async def chart(bot: RunningBot, count: int) -> dict[str, Any]:
    def find() -> bytes | None:
        done = [
            u
            for u in bot.fake.uploads.values()
            if u.get("filename") == "oncall-report.png" and u.get("completed")
        ]
        return done[count - 1]["content"] if len(done) >= count else None

    size, data = png_data(await bot.fake.wait_for(find, what="the report chart"))
    assert size == (1200, 700)
    return data


def night_three_days_ago() -> datetime:
    """16:00 in New York (Dana's zone), three days ago: late in Berlin."""
    day = (utcnow() - timedelta(days=3)).astimezone(NEW_YORK).date()
    return datetime(day.year, day.month, day.day, 16, tzinfo=NEW_YORK).astimezone(UTC)


async def seed(bot: RunningBot, night: datetime) -> None:
    now = utcnow()

    def incident(title: str, at: datetime, **extra: Any) -> Incident:
        return Incident(
            title=title,
            severity="sev2",
            declared_by="U333",
            commander_id="U333",
            declared_at=at,
            **extra,
        )

    def group(key: str, at: datetime, labels: dict[str, str]) -> AlertGroup:
        return AlertGroup(
            source="alertmanager",
            key_hash=key,
            group_key=key,
            title=key,
            severity="sev2",
            labels=json.dumps(labels),
            created_at=at,
        )

    async with bot.rt.db.session() as session:
        # U333, not a member, on call for six hours of one night by an override.
        session.add(
            OncallOverride(
                schedule="payments",
                user_id="U333",
                start_at=night,
                end_at=night + timedelta(hours=6),
                created_by="U111",
            )
        )
        recent = incident("Checkout down", now - timedelta(days=2))
        session.add_all(
            [
                recent,
                incident("Secret", now - timedelta(days=2), private=True),
                incident("Game day", now - timedelta(days=2), drill=True),
                incident("Old one", now - timedelta(days=40)),
                group("a", night + timedelta(hours=1), {"service": "Checkout"}),
                group("b", night + timedelta(hours=2), {"service": "search"}),
                group("c", night + timedelta(hours=2), {"alertname": "NoService"}),
            ]
        )
        await session.flush()
        assert recent.id is not None
        session.add(
            PageEvent(
                incident_id=recent.id,
                service="checkout",
                event_action="trigger",
                dedup_key="k1",
                summary="down",
                severity="critical",
                created_at=night + timedelta(hours=5),
            )
        )


def line_of(text: str, who: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"• {who}"))


async def test_the_fair_share_per_person_and_its_chart(bot: RunningBot) -> None:
    night = night_three_days_ago()
    await seed(bot, night)
    text = await report(bot, "", user="U222")
    assert text.startswith(":bar_chart: *On call, last 30d, all schedules*")
    # Dana (U333): on call 16:00-22:00 in New York, NUDGE_HOURS 09-18 on NUDGE_DAYS mon-sun:
    # 2 hours inside, 4 outside. The alert at 17:00 New York time is inside, the page at 21:00
    # outside; the search alert and the one without a service are no page of payments.
    assert line_of(text, "<@U333>") == (
        "• <@U333>: 6 h on call, 4 h outside their working hours; "
        "2 pages, 1 outside their working hours; 1 incident commanded"
    )
    assert "<@U222>:" in text and "<@UCAROL>:" in text
    assert "• x&lt;y@example.com (not found in Slack): 720 h on call" in text
    assert "in Europe/Berlin" not in text and "in Asia/Tokyo." in text  # the reader's zone
    assert "*Chart*: https://example.slack.com/files/F" in text

    [opened] = bot.fake.calls_to("conversations.open")
    assert opened["users"] == "U222"
    upload = next(u for u in bot.fake.uploads.values() if u.get("filename") == "oncall-report.png")
    assert upload["channel_id"] == "D222"
    data = await chart(bot, 1)
    assert data["title"] == "On call, last 30d, all schedules"
    bars = dict(
        zip(
            data["people"],
            zip(data["inside_hours"], data["outside_hours"], strict=True),
            strict=True,
        )
    )
    assert bars["Dana"] == (2.0, 4.0)
    assert bars["x<y@example.com"] == (
        pytest.approx(720 - bars["x<y@example.com"][1]),
        bars["x<y@example.com"][1],
    )
    # Payments was on call the whole 30 days: U222, Carol and Dana share 720 hours.
    payments = [bars[name] for name in ("u222", "ucarol", "Dana")]
    assert sum(a + b for a, b in payments) == pytest.approx(720, abs=0.05)


async def test_one_schedule_over_90_days_and_bad_input(bot: RunningBot) -> None:
    await seed(bot, night_three_days_ago())
    text = await report(bot, "payments 90d")
    assert text.startswith(":bar_chart: *On call, last 90d, payments*")
    assert "2 incidents commanded" in line_of(text, "<@U333>")  # the old one too
    assert "x&lt;y" not in text
    data = await chart(bot, 1)
    assert data["title"] == "On call, last 90d, payments"

    refused = await report(bot, "7x")
    assert refused.startswith("`7x` is not a period: give 30d, 90d or 365d.")
    assert "`14d` is not a period" in await report(bot, "14d")
    unknown = await report(bot, "<nowhere>")
    assert (
        "There is no on-call schedule `&lt;nowhere&gt;`. The schedules: `payments`, `lookout`."
        in unknown
    )
    assert "takes a period and a schedule" in await report(bot, "30d payments more")
    assert "one period and one schedule at most" in await report(bot, "payments lookout")
    assert "one period and one schedule at most" in await report(bot, "30d 90d")
    assert (
        len([u for u in bot.fake.uploads.values() if u.get("filename") == "oncall-report.png"]) == 1
    )


async def test_a_chart_that_cannot_be_sent_leaves_the_figures(bot: RunningBot) -> None:
    bot.fake.fail("conversations.open", error="missing_scope")
    text = await report(bot, "lookout")
    assert "• x&lt;y@example.com (not found in Slack): 720 h on call" in text
    assert "I could not send you the chart (Slack answered `missing_scope`)" in text
