"""App Home: open incidents (severity, status, age, war room, your role), your action items
with Done buttons, a "Declare incident" button; republished when opened, and otherwise at most
once a minute and only when it changed, once across replicas."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from typing import Any

from bot.home.refresh import HomeRefresher
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.incident_steps import declare, run
from tests.support.postmortem_helpers import ask
from tests.support.process_helpers import check_block_kit
from tests.support.slack_requests import load_payload


def refresher(bot: RunningBot) -> HomeRefresher:
    found = HomeRefresher.of(bot.rt)
    assert found is not None
    return found


def published_views(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    views = []
    for call in bot.fake.calls_to("views.publish"):
        if call["user_id"] == user:
            view = call["view"]
            views.append(json.loads(view) if isinstance(view, str) else view)
    return views


async def open_home(bot: RunningBot, user: str) -> dict[str, Any]:
    before = len(published_views(bot, user))
    response = await bot.slack.event(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    )
    assert response.status == 200
    await bot.fake.wait_for(
        lambda: len(published_views(bot, user)) > before, what=f"App Home published for {user}"
    )
    return published_views(bot, user)[-1]


async def test_home_shows_open_incidents_your_role_and_your_items(bot: RunningBot) -> None:
    war_room = await declare(bot, "Checkout returns 500s")
    await declare(bot, "Search is <slow>", user="U222")
    await run(bot, "communicator <@U222>", war_room)
    await run(bot, "resolve", (await _channel_of(bot, 2)))
    await bot.slack.command(
        "declare sev1 --private Payroll leak", user_id="U333", response_key="payroll"
    )
    await bot.fake.wait_for(
        lambda: any(r["_key"] == "payroll" for r in bot.fake.responses), what="declared"
    )
    said = await ask(
        bot, "action P1 <@U222|bob> 2099-01-01 Add a schema check", channel_id=war_room
    )
    assert "#1" in said, said

    view = await open_home(bot, "U222")
    assert view["type"] == "home"
    check_block_kit(view["blocks"], limit=100)
    text = json.dumps(view["blocks"])
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers[0] == "Open incidents (1)", "resolved and others' private ones are not listed"
    assert "Incident #1: Checkout returns 500s" in text
    assert f"<#{war_room}>" in text and "SEV2" in text and "investigating" in text
    assert "*you are communicator*" in text
    assert "under 5m old" in text
    assert "Payroll" not in text and "Search is" not in text
    declare_button = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in declare_button] == ["home_declare_incident"]
    done = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [(d["action_id"], d["text"]["text"]) for d in done] == [("followthrough_done", "Done")]

    private = await open_home(bot, "U333")
    assert "Payroll leak" in json.dumps(private["blocks"]) and "*you are commander" in json.dumps(
        private["blocks"]
    )


async def _channel_of(bot: RunningBot, incident_id: int) -> str:
    from storage.models.incidents import Incident

    async with bot.rt.db.session() as session:
        found = await session.get(Incident, incident_id)
    assert found is not None and found.channel_id
    return found.channel_id


async def test_the_declare_button_opens_the_form(bot: RunningBot) -> None:
    view = await open_home(bot, "U111")
    button = next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"])
    payload = copy.deepcopy(load_payload("interactive_block_actions.bolt.json"))
    payload["user"]["id"] = "U111"
    payload.pop("channel")
    payload["container"] = {"type": "view", "view_id": "V111"}
    payload["view"] = {"id": "V111", "type": "home"}
    payload["trigger_id"] = "trigger-home"
    payload["actions"] = [
        {
            "type": "button",
            "action_id": button["action_id"],
            "block_id": "home_declare",
            "text": button["text"],
            "value": button["value"],
            "action_ts": "1700000000.1",
        }
    ]
    assert (await bot.slack.interaction(payload)).status == 200
    [opened] = await bot.fake.wait_for_call("views.open")
    assert opened["trigger_id"] == "trigger-home"
    form = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert form["callback_id"] == "declare_incident"


async def test_changes_are_republished_at_most_once_a_minute_by_one_replica(
    start_bot: StartBot,
) -> None:
    one = await start_bot()
    two = await start_bot()
    await open_home(one, "U111")
    assert len(published_views(one, "U111")) == 1
    await declare(one, "Checkout returns 500s")

    # Changed, but published less than a minute ago: not yet.
    for replica in (one, two):
        refresher(replica).clock = lambda: utcnow() + timedelta(seconds=30)
    await asyncio.gather(refresher(one).run_now(), refresher(two).run_now())
    assert len(published_views(one, "U111")) == 1

    # A minute on: republished once, by one of the two.
    for replica in (one, two):
        refresher(replica).clock = lambda: utcnow() + timedelta(seconds=61)
    await asyncio.gather(refresher(one).run_now(), refresher(two).run_now())
    views = published_views(one, "U111")
    assert len(views) == 2
    assert "Open incidents (1)" in json.dumps(views[-1]["blocks"])

    # Nothing changed since (the age is shown in 5-minute steps): nothing sent.
    for replica in (one, two):
        refresher(replica).clock = lambda: utcnow() + timedelta(seconds=150)
    await asyncio.gather(refresher(one).run_now(), refresher(two).run_now())
    assert len(published_views(one, "U111")) == 2
