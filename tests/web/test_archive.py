"""The archive's pages over real HTTP: lists, filters, search, an incident's page and its
postmortem, and what each reader may see (private incidents, drills, guests)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from storage.models.timeline import TimelineEntry
from tests.conftest import RunningBot, StartBot
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_openid import FakeSlackOpenID
from tests.support.learning_helpers import Past, seed
from tests.support.web_helpers import Browser, start_web_bot

DAY = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SUMMARY = "The primary database failover lagged <script>x()</script>"


async def _seed_archive(bot: RunningBot, fake: FakeSlack) -> dict[str, int]:
    room = fake.add_channel("CPRIV1", "inc-payroll", is_private=True, bot_member=True)
    room.members.add("U222")
    ids = {}
    ids["public"] = (
        await seed(
            bot,
            Past(
                "Database failover lagged",
                tags="database",
                declared_at=DAY,
                items=[("summary", SUMMARY, None)],
                actions=[("Alert on replication lag", "open")],
                updates=["Failover in progress, writes paused"],
                messages=["looking at the replica"],
            ),
        )
    ).id
    ids["private"] = (
        await seed(
            bot,
            Past(
                "Payroll export leaked",
                private=True,
                channel_id="CPRIV1",
                declared_at=DAY + timedelta(days=1),
                notes=["payroll database credentials rotated"],
            ),
        )
    ).id
    ids["drill"] = (
        await seed(bot, Past("Game day: database drill", drill=True, declared_at=DAY))
    ).id
    ids["open"] = (
        await seed(
            bot,
            Past(
                "Checkout slow",
                severity="sev1",
                declared_at=DAY - timedelta(days=30),
                resolved_after=None,
            ),
        )
    ).id
    return {k: int(v or 0) for k, v in ids.items()}


def _listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="incident-(\d+)"', html)]


async def test_lists_search_and_private_incidents_for_a_non_member(
    web_bot: RunningBot, fake_slack: FakeSlack, browser: Browser
) -> None:
    ids = await _seed_archive(web_bot, fake_slack)
    assert (await browser.sign_in()).status == 303

    home = await browser.get("/")
    assert home.status == 200
    assert _listed(home.text) == [ids["open"], ids["public"]]  # open first; no drill, no private
    assert "2 incidents" in home.text and "Payroll" not in home.text
    with_drills = await browser.get("/?drills=1")
    assert set(_listed(with_drills.text)) == {ids["open"], ids["public"], ids["drill"]}

    found = await browser.get("/?q=database")
    assert _listed(found.text) == [ids["public"]]
    assert "<mark>database</mark>" in found.text.lower() or "<mark>" in found.text
    assert "1 incident matching" in found.text
    assert "<script>x()" not in found.text
    hidden = await browser.get("/?q=payroll+credentials")
    assert _listed(hidden.text) == [] and "0 incidents" in hidden.text

    for path in (f"/incidents/{ids['private']}", f"/incidents/{ids['private']}/postmortem"):
        page = await browser.get(path)
        assert page.status == 404 and "Payroll" not in page.text, path
    assert (await browser.get("/incidents/99999")).status == 404

    assert _listed((await browser.get("/?tag=database")).text) == [ids["public"]]
    assert _listed((await browser.get("/?status=open")).text) == [ids["open"]]
    assert _listed((await browser.get("/?severity=sev1")).text) == [ids["open"]]
    assert _listed((await browser.get("/?since=2026-09-15&until=2026-10-31")).text) == [
        ids["public"]
    ]
    bad = await browser.get("/?severity=sev9")
    assert bad.status == 400 and "severity must be one of" in bad.text
    assert (await browser.get("/?since=yesterday")).status == 400
    assert (await browser.get("/?page=0")).status == 400


async def test_a_member_of_the_private_channel_sees_it(
    web_bot: RunningBot, fake_slack: FakeSlack, provider: FakeSlackOpenID, browser: Browser
) -> None:
    ids = await _seed_archive(web_bot, fake_slack)
    provider.user = "U222"
    assert (await browser.sign_in()).status == 303
    home = await browser.get("/")
    assert ids["private"] in _listed(home.text) and "3 incidents" in home.text
    found = await browser.get("/?q=payroll")
    assert _listed(found.text) == [ids["private"]]
    page = await browser.get(f"/incidents/{ids['private']}")
    assert page.status == 200 and "Payroll export leaked" in page.text
    assert 'href="https://subarachnoid.slack.com/archives/CPRIV1"' in page.text  # the war room


async def test_a_guest_reads_what_the_permission_table_gives(
    web_bot: RunningBot, fake_slack: FakeSlack, provider: FakeSlackOpenID, browser: Browser
) -> None:
    ids = await _seed_archive(web_bot, fake_slack)
    fake_slack.add_user("UGUEST", is_restricted=True)
    provider.user = "UGUEST"
    assert (await browser.sign_in()).status == 303
    home = await browser.get("/")
    assert home.status == 200 and "(guest)" in home.text  # reading is for everyone
    assert _listed(home.text) == [ids["open"], ids["public"]]
    assert (await browser.get(f"/incidents/{ids['private']}")).status == 404
    assert (await browser.get(f"/incidents/{ids['public']}")).status == 200


async def test_an_incident_page_and_its_postmortem(
    web_bot: RunningBot, fake_slack: FakeSlack, browser: Browser
) -> None:
    ids = await _seed_archive(web_bot, fake_slack)
    fake_slack.users["U111"]["tz"] = "Europe/Paris"
    async with web_bot.rt.db.session() as session:
        session.add(
            TimelineEntry(
                incident_id=ids["public"],
                kind="message",
                text="replica caught up",
                occurred_at=DAY + timedelta(minutes=30),
                key_event=True,
            )
        )
    assert (await browser.sign_in()).status == 303
    page = await browser.get(f"/incidents/{ids['public']}")
    assert page.status == 200
    text = page.text
    assert "Database failover lagged" in text and "SEV2" in text
    assert "2026-10-01 14:00 CEST" in text and "(12:00 UTC)" in text  # the reader's zone
    assert "Failover in progress, writes paused" in text  # the status update
    assert "looking at the replica" in text and "replica caught up" in text
    assert "Alert on replication lag" in text
    assert 'href="https://subarachnoid.slack.com/archives/' not in text  # no channel: no link
    key = await browser.get(f"/incidents/{ids['public']}?key=1")
    assert "replica caught up" in key.text and "looking at the replica" not in key.text
    assert (await browser.get(f"/incidents/{ids['public']}?tpage=x")).status == 400

    postmortem = await browser.get(f"/incidents/{ids['public']}/postmortem")
    assert postmortem.status == 200
    assert "<h1>Postmortem" in postmortem.text or "<h2>" in postmortem.text
    assert "<script" not in postmortem.text  # the user's text, escaped then sanitized
    assert "The primary database failover lagged" in postmortem.text
    async with browser.http.get(browser.bot.url + f"/incidents/{ids['public']}") as resp:
        assert "script-src" not in resp.headers["Content-Security-Policy"]
        assert resp.headers["Cache-Control"] == "private, no-store"


async def test_stats_leave_out_private_incidents_of_others(
    web_bot: RunningBot, fake_slack: FakeSlack, provider: FakeSlackOpenID, browser: Browser
) -> None:
    await _seed_archive(web_bot, fake_slack)
    assert (await browser.sign_in()).status == 303
    page = await browser.get("/stats?period=all")
    assert page.status == 200 and '<p id="stats-count">2 incidents' in page.text
    with_drills = await browser.get("/stats?period=all&drills=1")
    assert '<p id="stats-count">3 incidents' in with_drills.text
    assert (await browser.get("/stats?period=2y")).status == 400
    async with browser.http.get(web_bot.url + "/stats/chart.png?period=all") as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        assert (await resp.read()).startswith(b"\x89PNG")

    member = Browser(web_bot)
    try:
        provider.user = "U222"
        assert (await member.sign_in()).status == 303
        page = await member.get("/stats?period=all")
        assert '<p id="stats-count">3 incidents' in page.text
    finally:
        await member.close()
    unsigned = Browser(web_bot)
    try:
        assert (await unsigned.get("/stats")).status == 401
        assert (await unsigned.get("/stats/chart.png")).status == 401
    finally:
        await unsigned.close()


async def test_a_member_sees_no_private_incident_in_lists_when_slack_cannot_say(
    web_bot: RunningBot, fake_slack: FakeSlack, provider: FakeSlackOpenID, browser: Browser
) -> None:
    """users.conversations failing: the reader's private channels are unknown, so none is
    listed or found (it fails closed)."""
    ids = await _seed_archive(web_bot, fake_slack)
    provider.user = "U222"
    assert (await browser.sign_in()).status == 303
    fake_slack.fail("users.conversations", error="internal_error")
    home = await browser.get("/")
    assert home.status == 200 and ids["private"] not in _listed(home.text)
    assert "Payroll" not in (await browser.get("/?q=payroll")).text


async def test_a_second_bot_asks_slack_rather_than_trust_the_first_ones_answer(
    start_bot: StartBot, fake_slack: FakeSlack, provider: FakeSlackOpenID
) -> None:
    """What one runtime learnt of a reader's memberships is its own: a bot started later in the
    same process (a test's, the playground's) asks its own Slack, so a reader removed from the
    war room meanwhile is not shown the private incident on the strength of the first bot's
    answer."""
    first = await start_web_bot(start_bot, provider)
    ids = await _seed_archive(first, fake_slack)
    provider.user = "U222"
    reader = Browser(first)
    try:
        assert (await reader.sign_in()).status == 303
        assert (await reader.get(f"/incidents/{ids['private']}")).status == 200
    finally:
        await reader.close()

    fake_slack.channels["CPRIV1"].members.discard("U222")
    second = await start_web_bot(start_bot, provider)
    again = Browser(second)
    try:
        assert (await again.sign_in()).status == 303
        page = await again.get(f"/incidents/{ids['private']}")
        assert page.status == 404 and "Payroll" not in page.text
    finally:
        await again.close()
