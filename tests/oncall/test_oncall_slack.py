"""`/oncall` over real HTTP: signed slash commands into the bot, answers through response_url,
members given as emails looked up in the fake Slack (users.lookupByEmail), overrides from the
database, times in the reader's Slack time zone, long answers within Block Kit's limits."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.models.oncall import OncallOverride
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.block_limits import problems

CONFIG = """\
services:
  - name: checkout
    oncall: payments
oncall:
  admins: [U999]
  people:
    U222: {time_zone: Europe/Berlin, working_hours: "mon-fri 09:00-18:00", phone: "+15555550100"}
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222, carol@example.com]
          rotation: daily
          start: "2026-01-01T09:00"
    - name: hourly
      time_zone: UTC
      layers:
        - name: all
          members: [U333, U444, nobody@example.com]
          rotation: hourly
          start: "2026-01-01T00:00"
    - name: office
      time_zone: Asia/Kolkata
      layers:
        - name: weekdays
          members: [U222]
          rotation: weekly
          start: "2026-01-05T10:00"
          restrictions: ["mon-fri 10:00-19:00"]
"""
_keys = itertools.count(1)


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    running = await start_bot(config_file=str(path))
    running.fake.add_user("U111", tz="Europe/Berlin")
    running.fake.add_user("UCAROL", profile={"email": "Carol@Example.com"})
    return running


async def oncall(
    bot: RunningBot, text: str, *, user: str = "U111", answers: int = 1
) -> list[dict[str, Any]]:
    """Send `/oncall <text>`; the answers (response_url posts), each checked against Block
    Kit's limits."""
    key = f"oncall{next(_keys)}"
    await bot.slack.command(text, command="/oncall", user_id=user, response_key=key)
    found = await bot.fake.wait_for(
        lambda: (lambda got: got if len(got) >= answers else None)(
            [r for r in bot.fake.responses if r["_key"] == key]
        ),
        what=f"{answers} answer(s) to /oncall {text}",
    )
    for answer in found:
        assert answer.get("response_type") == "ephemeral"
        assert problems(answer.get("blocks") or []) == [], answer
    return found


def shown(answers: list[dict[str, Any]]) -> str:
    texts = []
    for answer in answers:
        for block in answer.get("blocks") or []:
            if block["type"] == "section":
                texts.append(block["text"]["text"])
            elif block["type"] == "context":
                texts += [e["text"] for e in block["elements"]]
    return "\n".join(texts) or answers[0]["text"]


def payments_now() -> tuple[str, str]:
    """Who the daily payments rotation has on call now, and next (turns from 1 January 09:00
    Berlin time, whatever the offset)."""
    wall = utcnow().astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    turn = (wall - datetime(2026, 1, 1, 9)) // timedelta(days=1)
    people = ["<@U222>", "<@UCAROL>"]
    return people[turn % 2], people[(turn + 1) % 2]


async def test_who_is_on_call_now_for_every_schedule(bot: RunningBot) -> None:
    text = shown(await oncall(bot, ""))
    now, after = payments_now()
    assert f"*payments*: {now} (primary) until " in text
    assert f", then {after} (primary)" in text
    assert "*hourly*:" in text and "*office*:" in text
    assert " CET" in text  # the reader's zone (Berlin in December)
    assert "Times in Europe/Berlin, your Slack time zone." in text
    # carol@example.com was looked up once, and remembered for the next reader.
    await oncall(bot, "", user="U222")
    lookups = [c["email"] for c in bot.fake.done("users.lookupByEmail")]
    assert lookups.count("carol@example.com") == 1


async def test_a_schedule_s_shifts_ahead(bot: RunningBot) -> None:
    text = shown(await oncall(bot, "payments 3"))
    assert text.startswith("*On call for payments*, the next 3 days")
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert 3 <= len(lines) <= 4  # a daily rotation: today's rest, then whole days
    assert all(" 09:00 CET" in line for line in lines[1:])  # handovers at 09:00 Berlin
    assert {"<@U222> (primary)", "<@UCAROL> (primary)"} <= {
        line.rsplit(": ", 1)[1] for line in lines
    }
    # An email nobody in the workspace has is shown as text, never lost.
    hourly = shown(await oncall(bot, "hourly 1"))
    assert "nobody@example.com (not found in Slack)" in hourly


async def test_an_override_in_the_database_wins(bot: RunningBot) -> None:
    now = utcnow()
    async with bot.rt.db.session() as session:
        session.add(
            OncallOverride(
                schedule="payments",
                user_id="U555",
                start_at=now - timedelta(hours=1),
                end_at=now + timedelta(hours=2),
                created_by="U999",
            )
        )
    text = shown(await oncall(bot, ""))
    assert "*payments*: <@U555> (an override) until " in text
    ahead = shown(await oncall(bot, "payments 2"))
    first = next(line for line in ahead.splitlines() if line.startswith("• "))
    assert "<@U555> (an override) · override #" in first and first.endswith(" by <@U999>")


async def test_gaps_are_shown(bot: RunningBot) -> None:
    text = shown(await oncall(bot, "office 7"))
    assert "*nobody* (a gap)" in text
    assert "nobody is on call then." in text


async def test_a_long_answer_is_paged_within_block_kit_limits(bot: RunningBot) -> None:
    answers = await oncall(bot, "hourly 90", answers=2)
    lines = [line for line in shown(answers).splitlines() if line.startswith("• ")]
    assert len(lines) >= 90 * 24  # every hour of 90 days, in two messages
    assert len({line for line in lines}) == len(lines)
    assert "more: ask for fewer days" not in shown(answers)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("nosuch", "There is no on-call schedule `nosuch`. The schedules: `payments`, `hourly`"),
        ("payments 91", "`91` is not a number of days from 1 to 90"),
        ("payments 0", "`0` is not a number of days from 1 to 90"),
        ("payments soon", "`soon` is not a number of days from 1 to 90"),
        ("payments 3 more", "`/oncall` takes a schedule and a number of days"),
        ("<!channel>", "no on-call schedule `&lt;!channel&gt;`"),
        ("help", "`/oncall [schedule] [days]`"),
    ],
)
async def test_bad_input_gets_a_clear_answer(bot: RunningBot, text: str, said: str) -> None:
    answer = await oncall(bot, text)
    assert said in answer[0]["text"], answer[0]["text"]


async def test_guests_and_people_without_a_zone_may_read(bot: RunningBot) -> None:
    bot.fake.add_user("UGUEST", is_restricted=True, tz="")
    text = shown(await oncall(bot, "", user="UGUEST"))
    assert "*payments*:" in text
    assert "Times in UTC: your Slack profile does not say your time zone." in text


async def test_no_schedules_says_where_they_are_written(start_bot: StartBot) -> None:
    bare = await start_bot()
    answer = await oncall(bare, "")
    assert "There are no on-call schedules yet" in answer[0]["text"]
