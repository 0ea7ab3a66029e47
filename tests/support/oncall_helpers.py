"""Steps for the tests of changing who is on call (tests/oncall/test_oncall_changes.py,
test_oncall_change_notices.py and test_oncall_swap*.py): a configuration file with a daily
rotation of two members, admins by user ID and by user group, `/oncall` sent over real HTTP
and its answers read back; a swap asked, its buttons pressed, what each person was told."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from storage.models.oncall import OncallOverride, OncallSwapRequest
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.block_limits import problems
from tests.support.incident_steps import click

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = """\
oncall:
  admins: [U999, SADMINS]
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222, carol@example.com]
          rotation: daily
          start: "2026-01-01T09:00"
    - name: search
      time_zone: UTC
      layers:
        - name: all
          members: [U444]
          rotation: weekly
          start: "2026-01-05T00:00"
"""
GUEST_REFUSAL = "is for full members of the workspace"
_keys = itertools.count(1)


async def oncall_bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    bot = await start_bot(config_file=str(path))
    for user in ("U111", "U222", "U444", "U999", "UGROUPIE"):
        bot.fake.add_user(user, tz="Europe/Berlin")
    bot.fake.add_user("UCAROL", tz="America/New_York", profile={"email": "carol@example.com"})
    bot.fake.add_user("UGUEST", is_restricted=True, tz="Europe/Berlin")
    bot.fake.add_user("UBOT", is_bot=True)
    bot.fake.usergroups["SADMINS"] = ["UGROUPIE"]
    return bot


async def oncall(bot: RunningBot, text: str, user: str, answers: int = 1) -> list[dict[str, Any]]:
    """Send `/oncall <text>` as `user`; the answers, each ephemeral and within Block Kit's
    limits."""
    key = f"change{next(_keys)}"
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


async def said(bot: RunningBot, text: str, user: str) -> str:
    """The text of the one answer (blocks read as Slack shows them)."""
    answer = (await oncall(bot, text, user))[0]
    parts = []
    for block in answer.get("blocks") or []:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts += [e["text"] for e in block["elements"]]
    return "\n".join(parts) or answer["text"]


def payments_turn(at: datetime) -> tuple[str, datetime]:
    """Who the payments rotation has on call at `at` (U222 or UCAROL), and the turn's end."""
    wall = at.astimezone(BERLIN).replace(tzinfo=None)
    turn = (wall - datetime(2026, 1, 1, 9)) // timedelta(days=1)
    end = datetime(2026, 1, 1, 9) + (turn + 1) * timedelta(days=1)
    return ("U222", "UCAROL")[turn % 2], end.replace(tzinfo=BERLIN).astimezone(ZoneInfo("UTC"))


async def overrides(bot: RunningBot, schedule: str = "payments") -> list[OncallOverride]:
    async with bot.rt.db.session() as session:
        stmt = (
            select(OncallOverride)
            .where(col(OncallOverride.schedule) == schedule)
            .order_by(col(OncallOverride.id))
        )
        return list((await session.exec(stmt)).all())


def berlin(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """`day_offset` days from today (Berlin) at hh:mm Berlin, in UTC."""
    today = utcnow().astimezone(BERLIN).date() + timedelta(days=day_offset)
    wall = datetime(today.year, today.month, today.day, hour, minute, tzinfo=BERLIN)
    return wall.astimezone(ZoneInfo("UTC"))


async def ask(bot: RunningBot, target: str = "U111", day: str = "tomorrow") -> dict[str, Any]:
    """U222 asks `target`; the DM with the buttons (chat.postMessage params)."""
    text = await said(bot, f"swap payments <@{target}> {day}", "U222")
    assert text.startswith(":incoming_envelope: Swap request #"), text
    assert "Nothing changes until they accept" in text
    return next(
        p
        for p in reversed(bot.fake.done("chat.postMessage"))
        if any(b.get("type") == "actions" for b in p.get("blocks") or [])
    )


def told(bot: RunningBot, user: str) -> list[str]:
    """What the bot told `user`: ephemeral messages and DMs."""
    return [
        c.params.get("text") or ""
        for c in bot.fake.calls
        if c.ok
        and (
            (c.method == "chat.postEphemeral" and c.params.get("user") == user)
            or (c.method == "chat.postMessage" and c.params.get("channel") == user)
        )
    ]


async def press(bot: RunningBot, dm: dict[str, Any], action: str, user: str) -> str:
    before = len(told(bot, user))
    payload = click(bot, dm, action, user, dm["channel"])
    assert (await bot.slack.interaction(payload)).status == 200
    await bot.fake.wait_for(lambda: len(told(bot, user)) > before, what=f"{action} answered")
    return told(bot, user)[before]


async def requests(bot: RunningBot) -> list[OncallSwapRequest]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(OncallSwapRequest))).all())
