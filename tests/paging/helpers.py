"""Shared steps of the paging tests: a configuration with a two-level policy, the DMs a person
got, pressing their buttons."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from storage.models.paging import PageEscalation
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import click, entries

CONFIG = """\
services:
  - name: checkout
    escalation_policy: payments
  - name: search
oncall:
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222]
          rotation: weekly
          start: "2026-01-01T09:00"
  escalation_policies:
    - name: payments
      repeat: {repeat}
      levels:
        - notify: {{schedule: payments}}
          ack_within: {first}
        - notify: {{users: [U333]}}
          ack_within: {second}
"""


async def start_paging_bot(
    start_bot: StartBot,
    tmp_path: Path,
    first: str = "2s",
    second: str = "2s",
    repeat: int = 0,
    **settings: Any,
) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG.format(first=first, second=second, repeat=repeat))
    bot = await start_bot(config_file=str(path), **settings)
    for user, tz in (("U111", "UTC"), ("U222", "Europe/Berlin"), ("U333", "America/New_York")):
        bot.fake.add_user(user, tz=tz)
    return bot


def is_page(params: dict[str, Any]) -> bool:
    return any(
        e.get("action_id") == "paging_acknowledge"
        for b in params.get("blocks") or []
        for e in b.get("elements") or []
    )


def pages_to(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    """The page DMs Slack took for `user`."""
    return [p for p in bot.fake.done("chat.postMessage") if p["channel"] == user and is_page(p)]


async def wait_for_page(
    bot: RunningBot, user: str, count: int = 1, timeout: float = 10.0
) -> list[dict[str, Any]]:
    return await bot.fake.wait_for(
        lambda: len(pages_to(bot, user)) >= count and pages_to(bot, user),
        timeout,
        f"{count} page(s) to {user}",
    )


async def press(bot: RunningBot, page: dict[str, Any], action_id: str, user: str) -> None:
    payload = click(bot, page, action_id, user, user)
    payload["channel"]["id"] = user  # the DM, as the bot posted it
    response = await bot.slack.interaction(payload)
    assert response.status == 200


def said_in(bot: RunningBot, channel: str) -> list[str]:
    return [
        str(p.get("text", "")) for p in bot.fake.done("chat.postMessage") if p["channel"] == channel
    ]


async def page_entries(bot: RunningBot) -> list[str]:
    return [e.text for e in await entries(bot, "page")]


async def escalations(bot: RunningBot) -> list[PageEscalation]:
    async with bot.rt.db.session() as session:
        stmt = select(PageEscalation).order_by(col(PageEscalation.id))
        return list((await session.exec(stmt)).all())


async def level_pending(bot: RunningBot, level: int) -> None:
    """Wait until the escalation's next step is `level` (the step before it done)."""
    for _ in range(200):
        if [e.level for e in await escalations(bot)] == [level]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"level {level} never became the next step")


def told(bot: RunningBot, user: str) -> list[str]:
    """What `user` was told in answer to their button presses (by ephemeral or by DM)."""
    quiet = [p for p in bot.fake.done("chat.postEphemeral") if p["user"] == user]
    direct = [p for p in bot.fake.done("chat.postMessage") if p["channel"] == user]
    return [str(p.get("text", "")) for p in quiet + direct if not is_page(p)]
