"""The archive in a real browser (headless Chromium through Selenium): sign in against the fake
provider, search, open an incident and its timeline, be refused a private incident; at a
phone's width and a desktop's, with screenshots kept (tests/support/browser.py)."""

from __future__ import annotations

from typing import Any

import pytest

from storage.models.checklists import ChecklistItem
from tests.conftest import RunningBot
from tests.support.browser import browser, in_thread, need_chromium, screenshot
from tests.support.fake_slack import FakeSlack
from tests.web.test_archive import DAY, _seed_archive


def _journey(driver: Any, base: str, ids: dict[str, int], width: int) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def arrived(part: str) -> None:
        """Wait until the page the click leads to is loaded (an element found before that is
        the old page's, stale once it goes)."""
        WebDriverWait(driver, 30).until(
            lambda d: (
                part in d.current_url
                and d.execute_script("return document.readyState") == "complete"
            )
        )

    seen: dict[str, Any] = {}
    driver.get(base + "/")
    seen["unsigned"] = driver.find_element(By.ID, "signin").text
    driver.find_element(By.ID, "signin").click()  # to the fake Slack and straight back
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "q"))
    seen["after_sign_in"] = driver.current_url
    box = driver.find_element(By.ID, "q")
    box.send_keys("database")
    driver.find_element(By.ID, "search").click()
    arrived("q=database")
    seen["count"] = driver.find_element(By.ID, "count").text
    seen["marks"] = len(driver.find_elements(By.TAG_NAME, "mark"))
    seen["page_width"] = driver.execute_script("return document.documentElement.scrollWidth")
    screenshot(driver, f"web-archive-search-{width}")
    driver.find_element(By.CSS_SELECTOR, f"#incident-{ids['public']} a.title").click()
    arrived(f"/incidents/{ids['public']}")
    seen["title"] = driver.find_element(By.ID, "title").text
    seen["entries"] = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#entries li")]
    seen["headings"] = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
    seen["checklist"] = [li.text for li in driver.find_elements(By.CSS_SELECTOR, ".checklist li")]
    seen["incident_width"] = driver.execute_script("return document.documentElement.scrollWidth")
    screenshot(driver, f"web-incident-{width}")
    driver.get(f"{base}/incidents/{ids['private']}")
    seen["private"] = driver.find_element(By.ID, "reason").text
    screenshot(driver, f"web-private-refused-{width}")
    return seen


@pytest.mark.parametrize("width", [360, 1280])
async def test_the_archive_in_a_browser(
    web_bot: RunningBot, fake_slack: FakeSlack, width: int
) -> None:
    need_chromium()
    ids = await _seed_archive(web_bot, fake_slack)
    async with web_bot.rt.db.session() as session:
        session.add(
            ChecklistItem(
                incident_id=ids["public"], checklist="Database", position=1,
                text="Freeze writes", done_by="U111", done_at=DAY,
            )
        )  # fmt: skip
    with browser(width) as driver:
        seen = await in_thread(_journey, driver, web_bot.url, ids, width)
    assert seen["unsigned"] == "Sign in with Slack"
    assert seen["after_sign_in"] == web_bot.url + "/"
    assert seen["count"].startswith("1 incident matching") and seen["marks"] >= 1
    assert seen["title"] == f"#{ids['public']} Database failover lagged"
    assert any("looking at the replica" in e for e in seen["entries"])
    for heading in ("Checklists", "Alerts", "Pages", "Similar incidents"):
        assert heading in seen["headings"], seen["headings"]
    assert seen["checklist"] and seen["checklist"][0].startswith("☑ Freeze writes ticked by")
    assert "no such incident" in seen["private"]
    assert seen["page_width"] <= width and seen["incident_width"] <= width  # no sideways scroll
