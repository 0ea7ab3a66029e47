"""The public status page over real HTTP: `/incident publish` opens the form, its signed
view_submission makes exactly the public words and component states appear on `GET /status`,
the incident's page and the Statuspage-compatible JSON, and nothing of the incident's timeline
does; private incidents, drills and people other than the commander or communicator are
refused; without the `status_page` section every route answers 404."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from storage.models.status_page import PublicUpdate
from tests.conftest import RunningBot, StartBot
from tests.status.helpers import (
    BASE,
    JSON_DOCS,
    get,
    get_json,
    open_form,
    publish,
    start_with_page,
    submit,
    told,
)
from tests.support.incident_steps import click, declare, entries, incident, posts_in, run
from tests.support.timeline_helpers import event_from, now_ts, wait_until


async def _said(bot: RunningBot, needle: str) -> bool:
    return any(needle in e.text for e in await entries(bot))


TITLE = "Card payments <b>failing</b> for some customers"
BODY = "Some card payments fail at checkout.\nWe have found the cause & are fixing it."


async def test_publishing_shows_exactly_the_public_words_and_states(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    status, _, before = await get(bot, "/status")
    assert status == 200
    assert "All Systems Operational" in before
    assert (await get_json(bot, "status.json"))["status"] == {
        "indicator": "none",
        "description": "All Systems Operational",
    }

    channel = await declare(bot, "Checkout 500s from db-7 failover")
    await run(bot, "note Root cause: the db-7 primary lost its disk, ask Bob", channel)
    await bot.slack.event(
        event_from("event_message_user.bolt.json", channel, text="rolling back 4411", ts=now_ts())
    )
    await wait_until(lambda: _said(bot, "4411"), what="the war-room message on the timeline")
    view = await open_form(bot, channel)
    assert view["callback_id"] == "status_publish"
    labels = [b["label"]["text"] for b in view["blocks"] if b.get("block_id", "").startswith("c")]
    assert labels == ["Core: API", "Dashboard"]
    assert await get_json(bot, "incidents.json") == {
        "page": (await get_json(bot, "incidents.json"))["page"],
        "incidents": [],
    }, "nothing is public before the form is submitted"

    resp = await submit(
        bot,
        view,
        title=TITLE,
        body=BODY,
        status="identified",
        states={"API": "partial_outage"},
    )
    assert resp.status == 200
    answer = await told(bot, "Published to the status page")
    assert f"{BASE}/status/incidents/" in answer["text"]

    status, headers, html = await get(bot, "/status")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "public, max-age=30"
    assert "Partial System Outage" in html
    assert "Card payments &lt;b&gt;failing&lt;/b&gt; for some customers" in html
    assert "<b>failing</b>" not in html
    assert "We have found the cause &amp; are fixing it." in html
    assert '<main id="main">' in html and 'role="banner"' in html
    assert "prefers-color-scheme: dark" in html and "width=device-width" in html
    # One script, from this site only (times in the reader's zone); none inline.
    import re

    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/status/static/local-times.js" defer>'
    ]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"].split("script-src")[1]
    status, script_headers, script = await get(bot, "/status/static/local-times.js")
    assert status == 200 and script_headers["Content-Type"].startswith("text/javascript")
    assert "time[datetime]" in script and "your time" in script

    summary = await get_json(bot, "summary.json")
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [(c["id"], c["name"], c["status"]) for c in summary["components"]] == [
        ("8kbf7d35c070", "API", "partial_outage"),
        (summary["components"][1]["id"], "Dashboard", "operational"),
    ]
    [public] = summary["incidents"]
    assert public["name"] == TITLE
    assert public["status"] == "identified"
    assert public["impact"] == "major"
    assert public["shortlink"] == f"{BASE}/status/incidents/{public['id']}"
    [update] = public["incident_updates"]
    assert update["body"] == BODY
    assert update["status"] == "identified"
    assert update["affected_components"] == [
        {
            "code": "8kbf7d35c070",
            "name": "API",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]
    assert [c["name"] for c in public["components"]] == ["API"]
    assert (await get_json(bot, "incidents/unresolved.json"))["incidents"] == [public]
    assert (await get_json(bot, "incidents.json"))["incidents"] == [public]
    assert [c["status"] for c in (await get_json(bot, "components.json"))["components"]] == [
        "partial_outage",
        "operational",
    ]
    status, _, one = await get(bot, f"/status/incidents/{public['id']}")
    assert status == 200 and "Card payments &lt;b&gt;failing" in one

    # Nothing of the incident's record is anywhere readers can see.
    everything = [html, one] + [(await get(bot, f"/status/api/v2/{n}"))[2] for n in JSON_DOCS]
    texts = [e.text for e in await entries(bot)]
    assert any("db-7 primary" in t for t in texts) and any("4411" in t for t in texts)
    for page in everything:
        for text in texts:
            assert text not in page
        for internal in ("db-7", "Bob", "4411", "U111", channel, "Checkout 500s"):
            assert internal not in page
    assert any(t.startswith("Status page: published an update (identified") for t in texts)

    # The ETag answers 304; a later publication changes it.
    status, again, _ = await get(bot, "/status", {"If-None-Match": headers["ETag"]})
    assert status == 304
    assert again["ETag"] == headers["ETag"]


async def test_resolving_puts_the_components_back(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot)
    await publish(
        bot,
        channel,
        title="Dashboard slow",
        body="Pages load slowly.",
        status="investigating",
        states={"Dashboard": "degraded_performance", "API": "major_outage"},
    )
    assert (await get_json(bot, "status.json"))["status"]["indicator"] == "critical"
    view = await open_form(bot, channel)
    prefilled = {
        b["label"]["text"]: b["element"]["initial_option"]["value"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith("component_")
    }
    # The form remembers the title, the states, and offers the service's components first
    # (the incident has none here: the configuration's order).
    assert prefilled == {"Core: API": "major_outage", "Dashboard": "degraded_performance"}
    assert view["blocks"][1]["element"]["initial_value"] == "Dashboard slow"
    await submit(bot, view, title="Dashboard slow", body="All fixed.", status="resolved", states={})
    await told(bot, "Published to the status page")
    await bot.fake.wait_for(
        lambda: (
            len([c for c in bot.fake.calls_to("chat.postEphemeral") if "Published" in c["text"]])
            == 2
        ),
        what="the second publication",
    )
    summary = await get_json(bot, "summary.json")
    assert summary["status"]["indicator"] == "none"
    assert {c["status"] for c in summary["components"]} == {"operational"}
    assert summary["incidents"] == []
    [past] = (await get_json(bot, "incidents.json"))["incidents"]
    assert past["status"] == "resolved" and past["resolved_at"]
    assert [u["body"] for u in past["incident_updates"]] == ["All fixed.", "Pages load slowly."]
    html = (await get(bot, "/status"))[2]
    assert "Past incidents" in html and "All fixed." in html


async def test_private_drill_and_other_people_are_refused(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    bot.fake.add_user("U222")
    await bot.slack.command("declare --private sev2 Payroll data exposed", response_key="p")
    await bot.fake.wait_for(lambda: any(r["_key"] == "p" for r in bot.fake.responses))
    await bot.slack.command("declare --drill sev3 Region failover", response_key="d")
    await bot.fake.wait_for(lambda: any(r["_key"] == "d" for r in bot.fake.responses))
    assert await bot.rt.wait_idle(15)
    private_id, drill_id = 1, 2
    private = (await incident(bot, private_id)).channel_id or ""
    drill = (await incident(bot, drill_id)).channel_id or ""
    assert (await incident(bot, private_id)).private and (await incident(bot, drill_id)).drill

    answer = await run(bot, "publish", private)
    assert "is private: nothing about it goes on the public status page" in answer["text"]
    answer = await run(bot, "publish", drill)
    assert "is a drill: drills are never published" in answer["text"]
    public_channel = await declare(bot, "Search down")
    answer = await run(bot, "publish", public_channel, user="U222")
    assert "Only the incident's commander or communicator" in answer["text"]
    assert bot.fake.calls_to("views.open") == []

    # A form submitted for them anyway (forged, or made before it turned private) is refused.
    view = await open_form(bot, public_channel)
    for incident_id in (private_id, drill_id):
        forged = dict(view, private_metadata=json.dumps({"incident_id": incident_id}))
        await submit(bot, forged, title="Leak", body="Secret words", status="identified", states={})
    await told(bot, "Nothing was published")
    await submit(
        bot, view, title="Leak", body="Secret words", status="identified", states={}, user="U222"
    )
    await told(bot, "Only the incident's commander or communicator publishes")
    assert await bot.rt.wait_idle(15)
    async with bot.rt.db.session() as session:
        assert (await session.exec(select(PublicUpdate))).all() == []
    for name in JSON_DOCS:
        assert "Secret words" not in (await get(bot, f"/status/api/v2/{name}"))[2]


async def test_the_form_says_what_is_missing(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot)
    view = await open_form(bot, channel)
    resp = await submit(bot, view, title=" ", body="", status="identified", states={})
    assert resp.status == 200
    errors = (await resp.json())["errors"]
    assert set(errors) == {"title", "body"}
    assert (await get_json(bot, "incidents.json"))["incidents"] == []


async def test_without_the_section_every_route_is_404(bot: RunningBot) -> None:
    for path in ["/status", "/status/incidents/0123456789ab"] + [
        f"/status/api/v2/{n}" for n in JSON_DOCS
    ]:
        status, _, body = await get(bot, path)
        assert status == 404, path
        assert body == "the status page is off: the configuration file has no status_page section\n"
    channel = await declare(bot)
    answer = await run(bot, "publish", channel)
    assert "The status page is off" in answer["text"]


async def test_unknown_pages_are_404(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    for path in (
        "/status/incidents/0123456789ab",
        "/status/incidents/not-an-id",
        "/status/api/v2/x.json",
    ):
        status, _, body = await get(bot, path)
        assert status == 404, path
        assert body == "no such page on the status page\n"


async def test_publish_button_on_each_posted_update_prefills_its_words(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot)
    await run(bot, "update Card payments fail for about 5% of customers", channel)
    posted = await bot.fake.wait_for(
        lambda: next(
            (p for p in posts_in(bot, channel) if "Status update on incident" in p["text"]), None
        ),
        what="the update posted in the war room",
    )
    resp = await bot.slack.interaction(click(bot, posted, "status_publish_update", "U111", channel))
    assert resp.status == 200
    [opened] = await bot.fake.wait_for_call("views.open")
    view = opened["view"]
    body = next(b for b in view["blocks"] if b.get("block_id") == "body")
    assert body["element"]["initial_value"] == "Card payments fail for about 5% of customers"
    await submit(
        bot,
        view,
        title="Card payments",
        body="Some card payments fail.",
        status="investigating",
        states={"API": "degraded_performance"},
    )
    await told(bot, "Published to the status page")
    summary = await get_json(bot, "summary.json")
    assert summary["incidents"][0]["incident_updates"][0]["body"] == "Some card payments fail."
    assert "5% of customers" not in (await get(bot, "/status"))[2]

    # Another person may not publish from the button either.
    bot.fake.add_user("U222")
    await bot.slack.interaction(click(bot, posted, "status_publish_update", "U222", channel))
    await told(bot, "Only the incident's commander or communicator")
    assert len(bot.fake.calls_to("views.open")) == 1


async def test_no_button_on_a_private_incidents_updates(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    await bot.slack.command("declare --private sev2 Payroll data exposed", response_key="p")
    await bot.fake.wait_for(lambda: any(r["_key"] == "p" for r in bot.fake.responses))
    assert await bot.rt.wait_idle(15)
    channel = (await incident(bot, 1)).channel_id or ""
    await run(bot, "update Looking into it", channel)
    posted = await bot.fake.wait_for(
        lambda: next(
            (p for p in posts_in(bot, channel) if "Status update on incident" in p["text"]), None
        ),
        what="the update posted in the war room",
    )
    assert "status_publish_update" not in json.dumps(posted["blocks"])
