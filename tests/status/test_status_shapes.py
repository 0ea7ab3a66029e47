"""Our Statuspage-compatible JSON has every field, of the same type, that Statuspage's
documentation shows (tests/support/statuspage_shapes.json, with its sources), and only the
values it documents; and in a real browser (headless Chromium) /status shows the components,
their states in words, the public text and no more, each time also in the reader's zone, without
sideways scrolling at 360 px."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.status.helpers import get, get_json, publish, start_with_page
from tests.status.shapes import fixture, mismatches
from tests.support.browser import browser, in_thread, need_chromium, screenshot
from tests.support.incident_steps import declare, entries, run

TITLE = "Card payments <failing> & slow"
BODY = "Some card payments fail at checkout. We are rolling back."


async def _page_with_everything(start_bot: StartBot, tmp_path: Path) -> tuple[RunningBot, str]:
    bot = await start_with_page(start_bot, tmp_path)
    channel = await declare(bot, "Checkout 500s: pgbouncer-7 pool exhausted")
    await run(bot, "note pgbouncer-7 pool exhausted, Dana is on it", channel)
    await publish(
        bot, channel, title=TITLE, body=BODY, status="identified", states={"API": "partial_outage"}
    )
    starts = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ends = (utcnow() + timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await run(bot, f"maintenance Dashboard {starts} {ends} Dashboard upgrade", "C1")
    return bot, channel


def _values(summary: dict[str, Any]) -> list[str]:
    allowed = fixture()["values"]
    problems = []

    def check(kind: str, value: Any) -> None:
        if value not in allowed[kind]:
            problems.append(f"{kind} {value!r}")

    check("status.indicator", summary["status"]["indicator"])
    for c in summary["components"]:
        check("component.status", c["status"])
    for i in summary["incidents"]:
        check("incident.status", i["status"])
        check("incident.impact", i["impact"])
        for u in i["incident_updates"]:
            check("update.status", u["status"])
    for m in summary["scheduled_maintenances"]:
        check("maintenance.status", m["status"])
        check("incident.impact", m["impact"])
        for u in m["incident_updates"]:
            check("update.status", u["status"])
    return problems


async def test_the_json_has_statuspages_shapes(start_bot: StartBot, tmp_path: Path) -> None:
    bot, _ = await _page_with_everything(start_bot, tmp_path)
    shape = fixture()["summary.json"]
    summary = await get_json(bot, "summary.json")
    assert summary["incidents"] and summary["scheduled_maintenances"], "every list has an element"
    assert mismatches(summary, shape) == []
    assert _values(summary) == []
    pairs = {
        "status.json": {"page": shape["page"], "status": shape["status"]},
        "components.json": {"page": shape["page"], "components": shape["components"]},
        "incidents.json": {"page": shape["page"], "incidents": shape["incidents"]},
        "incidents/unresolved.json": {"page": shape["page"], "incidents": shape["incidents"]},
        "scheduled-maintenances.json": {
            "page": shape["page"],
            "scheduled_maintenances": shape["scheduled_maintenances"],
        },
        "scheduled-maintenances/upcoming.json": {
            "page": shape["page"],
            "scheduled_maintenances": shape["scheduled_maintenances"],
        },
    }
    for name, expected in pairs.items():
        assert mismatches(await get_json(bot, name), expected) == [], name
    # A mismatch is caught (the checker itself works).
    broken = dict(summary, components=[dict(summary["components"][0], position="1")])
    assert mismatches(broken, shape) == ["$.components[0].position: not an integer"]


def _look(url: str, width: int, name: str) -> dict[str, Any]:
    with browser(width) as driver:
        # A reader in India: the page's times in UTC, and beside each one the reader's own.
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Kolkata"})
        driver.get(url)
        seen = driver.execute_script(
            """
            const text = s => [...document.querySelectorAll(s)].map(e => e.innerText.trim());
            return {
              scroll: document.documentElement.scrollWidth,
              client: document.documentElement.clientWidth,
              banner: text('#overall')[0],
              components: text('ul.components > li > span:first-child strong'),
              states: text('ul.components > li > .state'),
              text: document.body.innerText,
              bars: document.querySelectorAll('ol.bars li').length,
              barWidth: document.querySelector('ol.bars li').getBoundingClientRect().width,
              times: [...document.querySelectorAll('time[datetime]')].map(e => [
                e.getAttribute('datetime'), e.innerText.trim(),
                e.nextElementSibling && e.nextElementSibling.className === 'local'
                  ? e.nextElementSibling.innerText.trim() : null]),
              landmarks: ['header[role=banner]', 'main', 'footer[role=contentinfo]']
                .map(s => document.querySelectorAll(s).length),
            };
            """
        )
        seen["shot"] = str(screenshot(driver, name))
        return seen


async def test_the_page_in_a_real_browser_at_360_and_1280(
    start_bot: StartBot, tmp_path: Path
) -> None:
    need_chromium()
    bot, channel = await _page_with_everything(start_bot, tmp_path)
    texts = [e.text for e in await entries(bot)]
    db = "postgres" if "postgresql" in bot.rt.settings.database_url else "sqlite"
    for width in (360, 1280):
        seen = await in_thread(_look, f"{bot.url}/status", width, f"status-page-{width}-{db}")
        assert width - 20 <= seen["client"] <= width  # less a desktop's scroll bar
        assert seen["scroll"] <= seen["client"] <= width, f"sideways scrolling at {width} px"
        assert seen["banner"] == "Partial System Outage"
        assert seen["components"] == ["API", "Dashboard"]
        assert seen["states"] == ["Partial outage", "Operational"]
        assert TITLE in seen["text"] and BODY in seen["text"]
        assert "Dashboard upgrade" in seen["text"] and "Scheduled" in seen["text"]
        assert seen["bars"] == 180 and seen["barWidth"] > 0
        assert seen["landmarks"] == [1, 1, 1]
        assert seen["times"], "the updates and the maintenance have times"
        for stamp, utc, local in seen["times"]:
            at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            kolkata = at.astimezone(ZoneInfo("Asia/Kolkata"))
            assert utc.endswith("UTC") and f"{at:%H:%M}" in utc
            assert local is not None and f"{kolkata:%H:%M}" in local and "your time" in local
        for text in texts:
            assert text not in seen["text"]
        for internal in ("pgbouncer", "Dana", channel):
            assert internal not in seen["text"]
        assert Path(seen["shot"]).stat().st_size > 1000
    status, _, html = await get(bot, "/status")
    assert status == 200 and "pgbouncer" not in html
