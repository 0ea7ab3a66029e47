"""Status updates (`/incident update`, the Post update form) and `/incident cadence`."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

from tests.conftest import BROADCAST, RunningBot
from tests.support.incident_steps import (
    click,
    declare,
    entries,
    incident,
    posts_in,
    run,
    update_form,
)
from tests.support.signing import signed_headers


async def test_update_is_posted_recorded_and_restarts_the_clock(bot: RunningBot) -> None:
    channel = await declare(bot)
    topics_before = len(bot.fake.calls_to("conversations.setTopic"))
    answer = await run(bot, "update DB failover done &lt;!channel&gt; <@U222|dana> on it", channel)
    assert answer["text"] == "Update posted."
    here = posts_in(bot, channel)[-1]
    company = posts_in(bot, BROADCAST)[-1]
    for post in (here, company):
        shown = str(post["blocks"])
        assert "DB failover done &lt;!channel&gt; <@U222> on it" in shown
        assert "Next update in 15 min" in shown
    assert f"<#{channel}>" in str(company["blocks"])
    [entry] = await entries(bot, "status_update")
    assert entry.text == "DB failover done <!channel> <@U222|dana> on it"
    assert entry.author_id == "U111"
    found = await incident(bot)
    assert found.last_update_at == entry.occurred_at
    assert found.next_prompt_at == found.last_update_at + timedelta(seconds=900)
    assert found.unanswered_prompts == 0
    stamp = found.last_update_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"*Last update*\\n{stamp}" in str(bot.fake.calls_to("chat.update")[-1]["blocks"])
    assert len(bot.fake.calls_to("conversations.setTopic")) == topics_before

    empty = await run(bot, "update", channel)
    assert "What's the update?" in empty["text"]
    elsewhere = await run(bot, "update hello", "C111")
    assert "This isn't an incident channel" in elsewhere["text"]
    assert len(await entries(bot, "status_update")) == 1


async def test_post_update_button_opens_the_template_and_posts_it(bot: RunningBot) -> None:
    channel = await declare(bot)
    card = posts_in(bot, channel)[0]
    await bot.slack.interaction(click(bot, card, "post_status_update", "U222", channel))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = opened["view"]
    assert view["callback_id"] == "status_update"
    labels = [b.get("label", {}).get("text") for b in view["blocks"]]
    assert labels[1:] == [
        "What we know",
        "What we don't know",
        "What we're doing next",
        "Next update in",
    ]
    assert view["blocks"][-1]["element"]["initial_value"] == "15m"

    for fields, block in [
        ({"known": "  "}, "known"),
        ({"known": "x", "next_update": "soon"}, "next_update"),
        ({"known": "x", "next_update": "10s"}, "next_update"),
    ]:
        errors = await _submit_expecting_errors(bot, update_form(view, "U222", **fields))
        assert block in errors, (fields, errors)
    assert await entries(bot, "status_update") == []

    form = update_form(
        view,
        "U222",
        known="Checkout fails for 30% of users",
        unknown="Why the pool is exhausted",
        next_steps="Scaling the pool",
        next_update="30m",
    )
    resp = await bot.slack.interaction(form)
    assert resp.status == 200
    await bot.fake.wait_for(lambda: len(posts_in(bot, BROADCAST)) >= 2, what="the update")
    shown = str(posts_in(bot, channel)[-1]["blocks"])
    assert "*What we know:* Checkout fails for 30% of users" in shown
    assert "*What we don't know:* Why the pool is exhausted" in shown
    assert "Next update in 30 min" in shown and "<@U222>" in shown
    [entry] = await entries(bot, "status_update")
    assert entry.author_id == "U222" and entry.text.startswith("What we know: Checkout")
    found = await incident(bot)
    assert found.next_prompt_at == found.last_update_at + timedelta(minutes=30)


async def _submit_expecting_errors(bot: RunningBot, payload: dict) -> dict:
    body = "payload=" + quote(json.dumps(payload))
    headers = signed_headers(bot.slack.secret, body, "application/x-www-form-urlencoded")
    async with bot.slack.session.post(bot.slack.url, data=body, headers=headers) as resp:
        answer = await resp.json()
    assert answer["response_action"] == "errors"
    return answer["errors"]


async def test_post_update_on_a_resolved_incident_says_so(bot: RunningBot) -> None:
    channel = await declare(bot)
    card = posts_in(bot, channel)[0]
    await run(bot, "resolve", channel)
    [_not_verified] = await bot.fake.wait_for_call("chat.postEphemeral")  # asks for a verify
    await bot.slack.interaction(click(bot, card, "post_status_update", "U111", channel))
    told = (await bot.fake.wait_for_call("chat.postEphemeral", 2))[1]
    assert "is resolved, so no update is due" in told["text"]
    assert bot.fake.calls_to("views.open") == []


async def test_cadence_is_shown_changed_and_bounded(bot: RunningBot) -> None:
    channel = await declare(bot)
    shown = await run(bot, "cadence", channel)
    assert "every 15 min (the workspace default)" in shown["text"]

    changed = await run(bot, "cadence 30m", channel)
    assert "now due every 30 min" in changed["text"]
    found = await incident(bot)
    assert found.update_interval_seconds == 1800
    assert found.next_prompt_at == found.declared_at + timedelta(minutes=30)
    [entry] = await entries(bot, "cadence_change")
    assert "every 30 min" in entry.text
    assert "every 30 min." in (await run(bot, "cadence", channel))["text"]

    await run(bot, "update all good", channel)
    await run(bot, "cadence 1h 30m", channel)
    found = await incident(bot)
    assert found.update_interval_seconds == 5400
    assert found.next_prompt_at == found.last_update_at + timedelta(minutes=90)

    for text, expected in {
        "cadence 10s": "too often; the shortest cadence is 1 min",
        "cadence 25h": "too rare",
        "cadence 30": "`30` needs a unit",
        "cadence soon": "I can't read `soon` as a duration",
        "cadence 2d": "`d` is not a unit I know",
    }.items():
        answer = await run(bot, text, channel)
        assert expected in answer["text"], (text, answer["text"])
    assert (await incident(bot)).update_interval_seconds == 5400
    elsewhere = await run(bot, "cadence 30m", "C111")
    assert "This isn't an incident channel" in elsewhere["text"]


def _sections(post: dict) -> list[str]:
    texts = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in texts), [len(t) for t in texts]
    return texts


async def test_long_updates_are_posted_whole_never_cut(bot: RunningBot) -> None:
    channel = await declare(bot)
    typed = "&<" * 1240 + "<@U222|dana> THE END"  # 2500 characters; escaped, over 3000
    assert len(typed) == 2500
    answer = await run(bot, "update " + "&amp;&lt;" * 1240 + "<@U222|dana> THE END", channel)
    assert answer["text"] == "Update posted."
    for post in (posts_in(bot, channel)[-1], posts_in(bot, BROADCAST)[-1]):
        shown = "".join(_sections(post)[1:])
        assert shown == "&amp;&lt;" * 1240 + "<@U222> THE END"

    refused = await run(bot, "update " + "x" * 2501, channel)
    assert "2501 characters; keep it to 2500" in refused["text"]
    assert len(await entries(bot, "status_update")) == 1

    card = posts_in(bot, channel)[0]
    await bot.slack.interaction(click(bot, card, "post_status_update", "U111", channel))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = opened["view"]
    lengths = [b["element"].get("max_length") for b in view["blocks"][1:4]]
    assert lengths == [2000, 2000, 2000]
    fields = {name: "<" * 1970 + f" end of {name}" for name in ("known", "unknown", "next_steps")}
    errors = await _submit_expecting_errors(
        bot, update_form(view, "U111", known="x" * 2001, unknown="ok")
    )
    assert "known" in errors
    await bot.slack.interaction(update_form(view, "U111", **fields))
    await bot.fake.wait_for(lambda: len(posts_in(bot, BROADCAST)) >= 3, what="the form update")
    for post in (posts_in(bot, channel)[-1], posts_in(bot, BROADCAST)[-1]):
        shown = "\n".join(_sections(post)[1:])
        for name in fields:
            assert f" end of {name}" in shown
        assert shown.count("&lt;") == 3 * 1970
