"""Who is on call for the incident's service, on its card, over real HTTP: the service from
`/incident declare --service` (checked against the catalog) or from the alert's `service` label,
the schedule from the catalog's `oncall`, the time as a `<!date^…>` token (each reader's zone),
an override in the database shown at the next refresh; within Block Kit's limits."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.models.oncall import OncallOverride
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    firing,
    post_alert,
    wait_handled,
)
from tests.support.alert_helpers import incidents as all_incidents
from tests.support.block_limits import check_message_blocks
from tests.support.incident_steps import channel_ids, declare_finished, key, posts_in, run

CONFIG = """\
services:
  - name: checkout
    oncall: payments
  - name: search
oncall:
  schedules:
    - name: payments
      time_zone: Europe/Berlin
      layers:
        - name: primary
          members: [U222, carol@example.com]
          rotation: daily
          start: "2026-01-01T09:00"
"""
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG)
    running = await start_bot(config_file=str(path), **ALERT_SETTINGS)
    running.fake.add_channel(ALERT_CHANNEL, "alerts")
    running.fake.add_user("UCAROL", profile={"email": "carol@example.com"})
    return running


def on_call_now() -> tuple[str, int]:
    """The daily payments rotation's person now, and the end of their turn (09:00 Berlin)."""
    wall = utcnow().astimezone(BERLIN).replace(tzinfo=None)
    turn = (wall - datetime(2026, 1, 1, 9)) // timedelta(days=1)
    end = (datetime(2026, 1, 1, 9) + (turn + 1) * timedelta(days=1)).replace(tzinfo=BERLIN)
    return ["<@U222>", "<@UCAROL>"][turn % 2], int(end.timestamp())


async def declare(bot: RunningBot, text: str) -> dict[str, Any]:
    """`/incident declare <text>`; the declarer's answer."""
    response_key = key()
    await bot.slack.command(f"declare {text}", user_id="U111", response_key=response_key)
    answer = await bot.fake.wait_for(
        lambda: next((r for r in bot.fake.responses if r["_key"] == response_key), None),
        what="the answer to declare",
    )
    await declare_finished(bot)  # the answer comes once the channel exists; the card after
    return answer


def card_of(bot: RunningBot, channel: str) -> dict[str, Any]:
    card = next(p for p in posts_in(bot, channel) if "Incident #" in p["text"])
    check_message_blocks(card["blocks"])
    return card


def oncall_lines(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        e["text"]
        for b in blocks
        if b["type"] == "context"
        for e in b["elements"]
        if "On call for" in e["text"]
    ]


async def test_the_card_shows_who_is_on_call_for_the_service(bot: RunningBot) -> None:
    await declare(bot, "--service CHECKOUT sev2 Checkout returns 500s")
    [channel] = channel_ids(bot, bot.fake.calls_to("conversations.create")[0]["name"])
    [line] = oncall_lines(card_of(bot, channel)["blocks"])
    person, end = on_call_now()
    assert line.startswith(f":pager: *On call for checkout*: {person} until <!date^{end}^")
    assert "(payments, primary; `/oncall payments`)" in line
    fallback = re.search(r"\|([^>]*)>", line)
    assert fallback is not None and fallback.group(1).endswith(" UTC")  # without a zone: UTC
    [incident] = await all_incidents(bot)
    assert incident.service == "checkout"  # the catalog's spelling


async def test_an_override_shows_at_the_next_refresh(bot: RunningBot) -> None:
    await declare(bot, "--service=checkout sev2 Checkout returns 500s")
    [channel] = channel_ids(bot, bot.fake.calls_to("conversations.create")[0]["name"])
    now = utcnow()
    async with bot.rt.db.session() as session:
        session.add(
            OncallOverride(
                schedule="payments",
                user_id="U555",
                start_at=now - timedelta(minutes=5),
                end_at=now + timedelta(hours=2),
                created_by="U999",
            )
        )
    await run(bot, "status identified", channel)
    update = await bot.fake.wait_for(
        lambda: next(
            (u for u in reversed(bot.fake.done("chat.update")) if "identified" in u["text"]),
            None,
        ),
        what="the card refreshed",
    )
    check_message_blocks(update["blocks"])
    [line] = oncall_lines(update["blocks"])
    until = int((now + timedelta(hours=2)).timestamp())
    assert f"*On call for checkout*: <@U555> until <!date^{until}^" in line
    assert "an override" in line


async def test_no_line_without_a_service_or_a_schedule(bot: RunningBot) -> None:
    await declare(bot, "sev2 Nothing named")
    await declare(bot, "--service search sev3 Search is slow")
    created = bot.fake.calls_to("conversations.create")
    for call in created:
        [channel] = channel_ids(bot, call["name"])
        assert oncall_lines(card_of(bot, channel)["blocks"]) == []
    services = sorted(str(i.service) for i in await all_incidents(bot))
    assert services == ["None", "search"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "--service nosuch sev2 Down",
            "There is no service `nosuch` in the service catalog. The services: `checkout`, "
            "`search`.",
        ),
        ("--service <!channel> Down", "There is no service `&lt;!channel&gt;`"),
        ("sev2 --service", "`--service` needs a service's name"),
        ("--service --here Down", "`--service` needs a service's name"),
        ("--service checkout", "Give the incident a title with `--service`"),
    ],
)
async def test_a_bad_service_is_refused_and_nothing_is_declared(
    bot: RunningBot, text: str, said: str
) -> None:
    answer = await declare(bot, text)
    assert said in answer["text"], answer["text"]
    assert answer.get("response_type") == "ephemeral"
    assert bot.fake.calls_to("conversations.create") == []
    assert await all_incidents(bot) == []


async def test_an_alert_s_service_label_puts_its_on_call_on_the_card(bot: RunningBot) -> None:
    status, _ = await post_alert(bot, firing())  # critical, service=checkout: declared at once
    assert status == 200
    await wait_handled(bot)
    [incident] = await all_incidents(bot)
    assert incident.service == "checkout"
    card = card_of(bot, incident.channel_id or "")
    [line] = oncall_lines(card["blocks"])
    person, end = on_call_now()
    assert f"*On call for checkout*: {person} until <!date^{end}^" in line
