"""`/incident page` through a fake PagerDuty Events API v2: stored first, sent once, retried."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from storage.models.alerts import PageEvent
from tests.conftest import RunningBot, StartBot
from tests.support.fake_pagerduty import FakePagerDuty
from tests.support.incident_steps import declare, entries, incident, posts_in, run

SERVICES = "checkout=R0CHECKOUT0000000000000000000001,db=R0DATABASE0000000000000000000002"
DEFAULT_KEY = "R0DEFAULT00000000000000000000003"


@pytest.fixture
async def pagerduty() -> AsyncIterator[FakePagerDuty]:
    fake = FakePagerDuty()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def start(start_bot: StartBot, pagerduty: FakePagerDuty, **overrides) -> RunningBot:
    settings = {
        "pagerduty_services": SERVICES,
        "pagerduty_events_url": pagerduty.url,
        **overrides,
    }
    return await start_bot(**settings)


def said(bot: RunningBot, channel: str, text: str) -> bool:
    return any(text in p.get("text", "") for p in posts_in(bot, channel))


async def pages(bot: RunningBot) -> list[PageEvent]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(PageEvent).order_by(col(PageEvent.id)))).all())


async def settled(bot: RunningBot, count: int, timeout: float = 10.0) -> list[PageEvent]:
    """The page rows once `count` of them are no longer pending (recorded just after sending)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await pages(bot)
        done = [r for r in rows if r.state != "pending"]
        if len(done) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def test_page_a_service_then_resolve_sends_resolve(
    start_bot: StartBot, pagerduty: FakePagerDuty
) -> None:
    bot = await start(start_bot, pagerduty)
    channel = await declare(bot, "Checkout returns 500s")
    answer = await run(bot, "page checkout the cart &amp; payments are down", channel)
    assert "Paging *checkout*" in answer["text"]
    [event] = await pagerduty.wait_for(lambda: pagerduty.events, what="the page")
    assert event["routing_key"] == "R0CHECKOUT0000000000000000000001"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "sisyphus-1-checkout"
    assert event["payload"]["summary"] == (
        "[SEV2] Incident #1: Checkout returns 500s — the cart & payments are down"
    )
    assert event["payload"]["severity"] == "error"
    assert channel in event["links"][0]["href"]
    await bot.fake.wait_for(lambda: said(bot, channel, "Paged *checkout*"), what="said")
    await bot.fake.wait_for(
        lambda: any(
            "*Paged:* checkout" in json.dumps(u["blocks"]) for u in bot.fake.calls_to("chat.update")
        ),
        what="the card lists who was paged",
    )
    [entry] = await entries(bot, "page")
    assert "<@U111> paged checkout" in entry.text

    await run(bot, "resolve fixed", channel)
    resolve = await pagerduty.wait_for(
        lambda: next((e for e in pagerduty.events if e["event_action"] == "resolve"), None),
        what="the resolve",
    )
    assert resolve == {
        "routing_key": "R0CHECKOUT0000000000000000000001",
        "event_action": "resolve",
        "dedup_key": "sisyphus-1-checkout",
    }
    assert len(pagerduty.received) == 2  # one page, one resolve: nothing twice


async def test_default_routing_key_and_unknown_services(
    start_bot: StartBot, pagerduty: FakePagerDuty
) -> None:
    bot = await start(start_bot, pagerduty)
    channel = await declare(bot)
    refusal = await run(bot, "page payments now", channel)
    assert "`payments`" in refusal["text"] and "`checkout`, `db`" in refusal["text"]
    assert await pages(bot) == []
    await bot.stop()  # the next bot runs with a default key; this one, without, would fail it

    bot2 = await start(start_bot, pagerduty, pagerduty_routing_key=DEFAULT_KEY)
    await run(bot2, "page everything is on fire", channel)
    [event] = await pagerduty.wait_for(lambda: pagerduty.events, what="the page")
    assert event["routing_key"] == DEFAULT_KEY
    assert event["dedup_key"] == "sisyphus-1-default"
    assert event["payload"]["summary"].endswith("— everything is on fire")


async def test_paging_unconfigured_or_outside_an_incident_is_refused(
    start_bot: StartBot, pagerduty: FakePagerDuty
) -> None:
    bot = await start_bot()
    channel = await declare(bot)
    answer = await run(bot, "page checkout", channel)
    assert "Paging is not set up" in answer["text"]
    bot2 = await start(start_bot, pagerduty)
    answer = await run(bot2, "page checkout", "C111")
    assert "incident" in answer["text"].lower()
    assert await pages(bot) == [] and pagerduty.received == []


async def test_429_and_5xx_are_retried_and_said(
    start_bot: StartBot, pagerduty: FakePagerDuty
) -> None:
    bot = await start(start_bot, pagerduty)
    channel = await declare(bot)
    pagerduty.fail(429, retry_after=1)
    pagerduty.fail(503)
    await run(bot, "page db", channel)
    [event] = await pagerduty.wait_for(lambda: pagerduty.events, timeout=15, what="the page")
    assert event["dedup_key"] == "sisyphus-1-db"
    assert len(pagerduty.received) == 3
    await bot.fake.wait_for(lambda: said(bot, channel, "has not taken the page"), what="delay")
    await bot.fake.wait_for(lambda: said(bot, channel, "Paged *db*"), what="paged")
    [row] = await settled(bot, 1)
    assert row.state == "sent" and row.attempts == 3


async def test_a_refusal_is_said_in_the_channel(
    start_bot: StartBot, pagerduty: FakePagerDuty
) -> None:
    bot = await start(start_bot, pagerduty)
    channel = await declare(bot)
    pagerduty.fail(400)
    await run(bot, "page checkout", channel)
    await bot.fake.wait_for(
        lambda: said(bot, channel, "did not go through"), what="the refusal said"
    )
    [row] = await settled(bot, 1)
    assert row.state == "failed" and "HTTP 400" in (row.last_error or "")
    assert pagerduty.events == []


async def test_two_instances_send_each_page_once_and_a_restart_sends_what_was_stored(
    start_bot: StartBot, pagerduty: FakePagerDuty
) -> None:
    first = await start(start_bot, pagerduty)
    second = await start(start_bot, pagerduty)  # a replica polling the same database
    channel = await declare(first)
    for service in ("checkout", "db", "checkout", "db"):
        await run(first, f"page {service}", channel)
    await pagerduty.wait_for(lambda: len(pagerduty.events) == 4, what="4 pages")
    rows = await settled(first, 4)
    assert [r.state for r in rows] == ["sent"] * 4
    assert len(pagerduty.received) == 4

    # Stored while no bot runs (one died before sending): sent once a bot starts again.
    await first.stop()
    await second.stop()
    async with first.rt.db.session() as session:
        session.add(
            PageEvent(
                incident_id=(await incident(first)).id or 1,
                service="db",
                event_action="trigger",
                dedup_key="sisyphus-1-db",
                summary="stored before a crash",
                severity="error",
            )
        )
    await start(start_bot, pagerduty)
    await pagerduty.wait_for(lambda: len(pagerduty.events) == 5, what="the stored page")
    assert pagerduty.events[-1]["payload"]["summary"] == "stored before a crash"
    assert len(pagerduty.received) == 5


async def test_an_unreachable_pagerduty_is_said_and_retried(start_bot: StartBot) -> None:
    from tests.support.process import free_port

    closed = f"http://127.0.0.1:{free_port()}/v2/enqueue"  # nothing listens there
    bot = await start_bot(pagerduty_services=SERVICES, pagerduty_events_url=closed)
    channel = await declare(bot)
    await run(bot, "page checkout", channel)
    await bot.fake.wait_for(
        lambda: said(bot, channel, "has not taken the page to *checkout* yet (no answer"),
        what="the delay said",
    )
    [row] = await pages(bot)
    assert row.state == "pending" and row.attempts >= 1 and "no answer" in (row.last_error or "")
