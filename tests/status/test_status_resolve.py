"""Resolving an incident whose public incident is open asks whether to resolve that too: the
button publishes Resolved and puts its components back to operational; Leave it open leaves
the page as it is; an incident never published is not asked about."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import StartBot
from tests.status.helpers import get, get_json, publish, start_with_page, told
from tests.status.steps import click_ephemeral, ephemeral_with
from tests.support.incident_steps import declare, run

RESOLVE, KEEP = "status_resolve_public", "status_keep_public"


async def test_resolving_asks_and_the_button_resolves_the_public_incident(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot)
    await publish(
        bot,
        channel,
        title="Checkout errors",
        body="Some payments fail.",
        status="identified",
        states={"API": "major_outage", "Dashboard": "degraded_performance"},
    )
    assert (await get_json(bot, "status.json"))["status"]["indicator"] == "critical"
    await run(bot, "resolve rolled back the db-7 failover", channel)
    asked = await ephemeral_with(bot, RESOLVE)
    assert asked["user"] == "U111" and asked["channel"] == channel
    assert "Checkout errors" in asked["text"] and "still open on the status page" in asked["text"]
    # Nothing changes publicly until the button is pressed.
    assert (await get_json(bot, "status.json"))["status"]["indicator"] == "critical"

    bot.fake.add_user("U222")
    await bot.slack.interaction(click_ephemeral(asked, RESOLVE, "U222", channel))
    await told(bot, "Only the incident's commander or communicator")
    assert (await get_json(bot, "status.json"))["status"]["indicator"] == "critical"

    resp = await bot.slack.interaction(click_ephemeral(asked, RESOLVE, "U111", channel))
    assert resp.status == 200
    await told(bot, "components are operational again")
    summary = await get_json(bot, "summary.json")
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert {c["status"] for c in summary["components"]} == {"operational"}
    assert summary["incidents"] == []
    [past] = (await get_json(bot, "incidents.json"))["incidents"]
    assert past["status"] == "resolved"
    assert past["incident_updates"][0]["body"] == "This incident has been resolved."
    html = (await get(bot, "/status"))[2]
    assert "db-7" not in html and "rolled back" not in html

    # Pressed again (a second replica, a double click): nothing more is published.
    await bot.slack.interaction(click_ephemeral(asked, RESOLVE, "U111", channel))
    await told(bot, "already resolved; nothing to do")
    [past] = (await get_json(bot, "incidents.json"))["incidents"]
    assert len(past["incident_updates"]) == 2


async def test_leave_it_open_and_unpublished_incidents(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    quiet = await declare(bot, "Never published")
    await run(bot, "resolve", quiet)
    channel = await declare(bot, "Published")
    await publish(
        bot,
        channel,
        title="Slow dashboard",
        body="Pages load slowly.",
        status="investigating",
        states={"Dashboard": "degraded_performance"},
    )
    await run(bot, "resolve", channel)
    asked = await ephemeral_with(bot, RESOLVE)
    assert asked["channel"] == channel, "the incident never published is not asked about"
    await bot.slack.interaction(click_ephemeral(asked, KEEP, "U111", channel))
    await told(bot, "The public incident stays open")
    summary = await get_json(bot, "summary.json")
    assert [i["name"] for i in summary["incidents"]] == ["Slow dashboard"]
    assert summary["status"]["indicator"] == "minor"
