"""App Home shows the action items you own in their three states, with their tickets."""

from __future__ import annotations

import json

from tests.conftest import StartBot
from tests.support.fake_github import FakeGitHub
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here


async def test_home_lists_open_unverified_and_verified_items(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config <deploys>")
    await ask(bot, f"action P2 <@U222|bob> {due()} Page on checkout 500s over 2 percent")
    await ask(bot, f"action P2 <@U222|bob> {due()} Write the config rollback runbook page")
    await ask(bot, f"action P2 <@U333|cy> {due()} Someone else's item about the cache")
    await wait_ticket_state(bot, fake_github, "filed")
    await ask(bot, "done 2")
    await ask(bot, "done 3 reviewed by the on-call team")

    response = await bot.slack.event(
        {"type": "app_home_opened", "user": "U222", "channel": "D0HOME", "tab": "home"}
    )
    assert response.status == 200
    [published] = await bot.fake.wait_for_call("views.publish")
    assert published["user_id"] == "U222"
    view = published["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == [
        "Open incidents (1)",
        "Your action items",
        "Open (1)",
        "Done, not yet verified (1)",
        "Verified in the last 30 days (1)",
    ]
    text = json.dumps(view["blocks"])
    assert "config &lt;deploys&gt;" in text
    assert "<https://github.com/acme/ops/issues/1|acme/ops#1>" in text
    assert "/postmortem verify 2 <how>" in text
    assert "reviewed by the on-call team" in text
    assert "Someone else" not in text
