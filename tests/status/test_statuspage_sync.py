"""The Atlassian Statuspage sync over real HTTP, against a fake Statuspage built from its
published API description (tests/support/fake_statuspage.py): a publication creates the
incident once (POST) and the next updates it (PATCH) with the components' states; 500 and 429
are retried until Statuspage takes it, creating exactly one incident; two replicas send it
once; a row left unsent by a stopped bot is sent once after the restart; a refusal is said
once in the war room, escaped; without the settings nothing is sent."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.status.statuspage_sync import StatuspageSender
from storage.models.status_page import PublicIncident
from storage.models.statuspage import StatuspageSync
from tests.conftest import RunningBot, StartBot
from tests.status.helpers import publish, start_with_page
from tests.support.fake_statuspage import FakeStatuspage
from tests.support.incident_steps import declare
from tests.support.timeline_helpers import wait_until

API = "8kbf7d35c070"  # the API component's statuspage_id in tests/status/helpers.py
TITLE = "Card payments failing for some customers"
BODY = "Some card payments fail at checkout. We are rolling back."


@pytest.fixture
async def statuspage() -> AsyncIterator[FakeStatuspage]:
    fake = FakeStatuspage(components={API: "API"})
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def start_synced(
    start_bot: StartBot, tmp_path: Path, fake: FakeStatuspage, **overrides: Any
) -> RunningBot:
    values: dict[str, Any] = {
        "statuspage_api_key": fake.api_key,
        "statuspage_page_id": fake.page_id,
        "statuspage_api_url": fake.url,
    }
    values.update(overrides)
    return await start_with_page(start_bot, tmp_path, **values)


def sender(bot: RunningBot) -> StatuspageSender:
    found = StatuspageSender.of(bot.rt)
    assert found is not None
    return found


async def rows(bot: RunningBot) -> list[StatuspageSync]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(StatuspageSync))).all())


async def public_incident(bot: RunningBot) -> PublicIncident:
    async with bot.rt.db.session() as session:
        [found] = (await session.exec(select(PublicIncident))).all()
    return found


def war_room_warnings(bot: RunningBot, channel: str) -> list[str]:
    return [
        c["text"]
        for c in bot.fake.calls_to("chat.postMessage")
        if c.get("channel") == channel and "Statuspage did not take" in (c.get("text") or "")
    ]


async def all_sent(bot: RunningBot, count: int) -> bool:
    found = await rows(bot)
    return len(found) == count and all(r.status != "pending" for r in found)


async def test_a_publication_creates_the_incident_and_the_next_updates_it(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    bot = await start_synced(start_bot, tmp_path, statuspage)
    channel = await declare(bot)
    states = {"API": "partial_outage", "Dashboard": "degraded_performance"}
    await publish(bot, channel, title=TITLE, body=BODY, status="identified", states=states)
    await statuspage.wait_for(lambda: statuspage.answered >= 1, what="the POST")
    [post] = statuspage.calls()
    assert (post.method, post.path) == ("POST", f"/v1/pages/{statuspage.page_id}/incidents")
    assert post.headers["Authorization"] == f"OAuth {statuspage.api_key}"
    public_id = (await public_incident(bot)).public_id
    assert post.body["incident"].pop("metadata") == {"sisyphus": {"public_id": public_id}}
    assert post.body == {
        "incident": {
            "name": TITLE,
            "status": "identified",
            "body": BODY,
            "components": {API: "partial_outage"},  # Dashboard has no statuspage_id
            "component_ids": [API],
        }
    }
    [(incident_id, incident)] = statuspage.incidents.items()
    assert incident["status"] == "identified" and incident["impact"] == "major"
    await wait_until(lambda: all_sent(bot, 1), what="the row settled")
    assert (await public_incident(bot)).statuspage_id == incident_id

    await publish(
        bot, channel, title=TITLE, body="Fixed: payments work.", status="resolved", states={}
    )
    await statuspage.wait_for(lambda: statuspage.answered >= 2, what="the PATCH")
    _, second = statuspage.calls()
    assert (second.method, second.path) == (
        "PATCH",
        f"/v1/pages/{statuspage.page_id}/incidents/{incident_id}",
    )
    assert second.body["incident"].pop("metadata") == {"sisyphus": {"public_id": public_id}}
    assert second.body == {
        "incident": {
            "name": TITLE,
            "status": "resolved",
            "body": "Fixed: payments work.",
            "components": {API: "operational"},
            "component_ids": [API],
        }
    }
    assert len(statuspage.incidents) == 1
    assert incident["status"] == "resolved" and statuspage.component_status[API] == "operational"
    assert [u["status"] for u in incident["incident_updates"]] == ["resolved", "identified"]
    await wait_until(lambda: all_sent(bot, 2), what="both rows settled")
    assert [(r.method, r.status) for r in await rows(bot)] == [("POST", "sent"), ("PATCH", "sent")]
    await sender(bot).run_now()
    assert len(statuspage.calls()) == 2, "sent once each"


async def test_500_then_429_then_created_retries_and_creates_one_incident(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    statuspage.fail(500)
    statuspage.fail(429, retry_after=1)
    bot = await start_synced(start_bot, tmp_path, statuspage)
    channel = await declare(bot)
    await publish(bot, channel, title=TITLE, body=BODY, status="investigating", states={})
    await statuspage.wait_for(
        lambda: len(statuspage.incidents) == 1, timeout=20, what="the incident created"
    )
    await wait_until(lambda: all_sent(bot, 1), what="the row settled")
    posts = statuspage.calls("POST")
    assert len(posts) == 3
    gaps = [b.at - a.at for a, b in itertools.pairwise(posts)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # backoff, Retry-After, one a second
    [row] = await rows(bot)
    assert (row.status, row.attempts, row.method) == ("sent", 3, "POST")
    await sender(bot).run_now()
    assert len(statuspage.calls()) == 3 and len(statuspage.incidents) == 1
    assert war_room_warnings(bot, channel) == []


async def test_two_replicas_send_a_publication_once(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    statuspage.delay(0.3)  # each request in flight long enough for the other replica to try
    one = await start_synced(start_bot, tmp_path, statuspage)
    two = await start_synced(start_bot, tmp_path, statuspage)
    assert one.rt.instance != two.rt.instance
    channel = await declare(one)
    await publish(
        one, channel, title=TITLE, body=BODY, status="identified", states={"API": "major_outage"}
    )
    for _ in range(3):
        await asyncio.gather(sender(one).run_now(), sender(two).run_now())
    await wait_until(lambda: all_sent(one, 1), what="the row settled")
    await publish(two, channel, title=TITLE, body="Monitoring.", status="monitoring", states={})
    for _ in range(3):
        await asyncio.gather(sender(one).run_now(), sender(two).run_now())
    await wait_until(lambda: all_sent(one, 2), what="both rows settled")
    assert [r.method for r in statuspage.calls()] == ["POST", "PATCH"]
    assert len(statuspage.incidents) == 1


async def test_a_row_left_unsent_by_a_stopped_bot_is_sent_once_after_restart(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    statuspage.fail(503, times=1000)  # Statuspage down while the first bot runs
    first = await start_synced(start_bot, tmp_path, statuspage)
    channel = await declare(first)
    await publish(
        first,
        channel,
        title=TITLE,
        body=BODY,
        status="identified",
        states={"API": "partial_outage"},
    )
    await statuspage.wait_for(lambda: statuspage.answered >= 1, what="a first try")
    await first.stop()
    [row] = await rows(first)
    assert row.status == "pending"
    tried = len(statuspage.calls())
    statuspage.recover()
    again = await start_synced(start_bot, tmp_path, statuspage)
    await statuspage.wait_for(
        lambda: len(statuspage.incidents) == 1, timeout=20, what="sent after the restart"
    )
    await wait_until(lambda: all_sent(again, 1), what="the row settled")
    await sender(again).run_now()
    assert len(statuspage.calls()) == tried + 1
    assert len(statuspage.incidents) == 1


async def test_a_create_whose_answer_was_lost_is_not_made_twice(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    """Statuspage made the incident but the answer never came: the next try finds it (our
    public id in its metadata) instead of creating a second one."""
    statuspage.hang_up_after_writing()
    bot = await start_synced(start_bot, tmp_path, statuspage)
    channel = await declare(bot)
    await publish(bot, channel, title=TITLE, body=BODY, status="identified", states={})
    await wait_until(lambda: all_sent(bot, 1), timeout=20, what="the row settled")
    [(incident_id, _)] = statuspage.incidents.items()
    assert len(statuspage.calls("POST")) == 1
    assert [s["q"] for s in statuspage.searches] == [TITLE]
    assert (await public_incident(bot)).statuspage_id == incident_id
    [row] = await rows(bot)
    assert (row.method, row.attempts) == ("POST", 2)
    await publish(bot, channel, title=TITLE, body="Monitoring.", status="monitoring", states={})
    await statuspage.wait_for(lambda: statuspage.calls("PATCH"), what="the next as a PATCH")
    assert len(statuspage.incidents) == 1
    assert war_room_warnings(bot, channel) == []


async def test_a_refusal_is_said_once_in_the_war_room(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    bot = await start_synced(
        start_bot, tmp_path, statuspage, statuspage_api_key="sp-key-revoked-00"
    )
    channel = await declare(bot)
    await publish(bot, channel, title=TITLE, body=BODY, status="identified", states={})
    await bot.fake.wait_for(lambda: war_room_warnings(bot, channel), what="the refusal said")
    [said] = war_room_warnings(bot, channel)
    assert "HTTP 401: Could not authenticate" in said
    assert "sp-key-revoked" not in said
    [row] = await rows(bot)
    assert (row.status, row.error) == ("failed", "HTTP 401: Could not authenticate")
    await sender(bot).run_now()
    assert len(statuspage.calls()) == 1 and len(war_room_warnings(bot, channel)) == 1


async def test_a_refusal_s_words_are_escaped_in_the_war_room(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    statuspage.fail(422, body={"message": "name <!channel> & <@U999> is taken"})
    bot = await start_synced(start_bot, tmp_path, statuspage)
    channel = await declare(bot)
    await publish(bot, channel, title=TITLE, body=BODY, status="identified", states={})
    await bot.fake.wait_for(lambda: war_room_warnings(bot, channel), what="the refusal said")
    [said] = war_room_warnings(bot, channel)
    assert "HTTP 422: name &lt;!channel&gt; &amp; &lt;@U999&gt; is taken" in said
    assert "<!channel>" not in said


async def test_without_the_settings_nothing_is_sent(
    start_bot: StartBot, tmp_path: Path, statuspage: FakeStatuspage
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    assert StatuspageSender.of(bot.rt) is None
    channel = await declare(bot)
    await publish(
        bot, channel, title=TITLE, body=BODY, status="identified", states={"API": "major_outage"}
    )
    assert await bot.rt.wait_idle(10)
    assert await rows(bot) == []
    assert statuspage.requests == []
    assert war_room_warnings(bot, channel) == []
