"""90 days of history per component on /status (a bar a day, the worst state of the day in
words as well as colour, the incidents behind it as links) and the Atom feed of public
updates: valid Atom, every text escaped, nothing of the incident's timeline in it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from storage.types import utcnow
from tests.conftest import StartBot
from tests.status.helpers import BASE, get, get_json, publish, start_with_page
from tests.support.incident_steps import declare, entries, run

A = "{http://www.w3.org/2005/Atom}"
TITLE = "Checkout <script>alert(1)</script> & refunds"
BODY = "Refunds are delayed.\nWe're on it <b>now</b> & soon]]> done."


async def test_history_bars_and_the_atom_feed(start_bot: StartBot, tmp_path: Path) -> None:
    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot, "db-9 internal codename Falcon")
    await run(bot, "note Falcon cluster lost quorum, page Alice", channel)
    await publish(
        bot, channel, title=TITLE, body=BODY, status="identified", states={"API": "partial_outage"}
    )
    await publish(
        bot,
        channel,
        title=TITLE,
        body="Fixed & watching.",
        status="monitoring",
        states={"API": "degraded_performance"},
    )
    status, _, html = await get(bot, "/status")
    assert status == 200
    bars = re.findall(r'<ol class="bars" aria-label="([^"]+)">(.*?)</ol>', html, re.S)
    assert [label for label, _ in bars] == [
        "API: the last 90 days, oldest first",
        "Dashboard: the last 90 days, oldest first",
    ]
    api_days = re.findall(r'<li class="b-([a-z_]+)" title="([^"]+)">', bars[0][1])
    assert len(api_days) == 90
    today = utcnow().date().isoformat()
    # Today's worst is the partial outage, though it is only degraded now; in words too.
    assert api_days[-1][0] == "partial_outage"
    assert api_days[-1][1].startswith(f"{today}: Partial outage: Checkout &lt;script&gt;")
    assert {s for s, _ in api_days[:-1]} == {"operational"}
    [public] = (await get_json(bot, "incidents.json"))["incidents"]
    assert f'<a href="/status/incidents/{public["id"]}"><span class="vh">{today}' in bars[0][1]
    dashboard = re.findall(r'<li class="b-([a-z_]+)"', bars[1][1])
    assert set(dashboard) == {"operational"} and len(dashboard) == 90
    assert "<a href" not in bars[1][1]
    for words in ("Operational", "Under maintenance", "Degraded performance", "Partial outage"):
        assert words in html.split('class="legend')[1].split("</p>")[0]
    assert "<script>alert" not in html

    status, headers, feed = await get(bot, "/status/feed.atom")
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    assert headers["Cache-Control"] == "public, max-age=30" and headers["ETag"]
    root = ET.fromstring(feed.encode())
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{required}") is not None, required
    assert root.find(f"{A}link[@rel='self']").get("href") == f"{BASE}/status/feed.atom"
    items = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}content") for e in items] == ["Fixed & watching.", BODY]
    assert [e.findtext(f"{A}title") for e in items] == [
        f"{TITLE}: Monitoring",
        f"{TITLE}: Identified",
    ]
    for e in items:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.findtext(f"{A}updated") or "")
        assert (e.findtext(f"{A}id") or "").startswith("urn:sisyphus:status:")
        assert e.find(f"{A}link").get("href") == public["shortlink"]
    ids = [e.findtext(f"{A}id") for e in items]
    assert len(set(ids)) == len(ids)
    assert "<b>now</b>" not in feed and "&lt;b&gt;now&lt;/b&gt;" in feed

    # Nothing of the incident's record is in the page or the feed.
    texts = [e.text for e in await entries(bot)]
    assert any("quorum" in t for t in texts)
    for page in (html, feed):
        for text in texts:
            assert text not in page
        for internal in ("Falcon", "Alice", "db-9", "U111", channel):
            assert internal not in page
