"""The playground end to end in a real browser (issue 30): `python -m bot demo` as people run
it, and headless Chromium using the page as a person would: declare with the slash command,
see the war room and the announcement, press Post update and submit the form, add a
postmortem item, draft the postmortem and open the file; then, as the guest, a refusal.
Screenshots at 1280 px go to SCREENSHOT_DIR (CI keeps them)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.playground.demo_process import running_demo
from tests.support.browser import browser, need_chromium, screenshot

WAIT = 45  # seconds: the bot answers in well under one, but CI machines are shared


def say(driver: Any, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "send").click()


# Found and clicked in one script: the page replaces its pane as the bot acts, so an element
# found by one Selenium call may be gone by the next.
FIND = """const [css, words, click] = arguments;
for (const el of document.querySelectorAll(css)) {
  if (el.textContent.includes(words)) { if (click) el.click(); return el.textContent || "-"; }
}
return null;"""


def wait_text(driver: Any, css: str, words: str, *, click: bool = False) -> str:
    """The text of the first element matching `css` that contains `words` (clicked, if asked),
    once there is one."""
    return WebDriverWait(driver, WAIT, poll_frequency=0.3).until(
        lambda d: d.execute_script(FIND, css, words, click), f"{words!r} in {css}"
    )


def fill_modal(driver: Any) -> None:
    """Every empty text field gets words; every select without a choice, its first option."""
    modal = driver.find_element(By.CSS_SELECTOR, ".modal")
    for field in modal.find_elements(By.CSS_SELECTOR, "input[type=text], textarea"):
        if not field.get_attribute("value"):
            field.send_keys("Rolled back the deploy; error rate falling")
    for element in modal.find_elements(By.CSS_SELECTOR, "select"):
        select = Select(element)
        if not select.is_multiple and not element.get_attribute("value"):
            if len(select.options) > 1:
                select.select_by_index(1)


def test_an_incident_end_to_end_in_the_playground(tmp_path: Path) -> None:
    need_chromium()
    with running_demo(tmp_path, HOST="0.0.0.0") as demo, browser(1280, 900) as driver:
        print(f"\nplayground ready {demo.ready_seconds:.1f} s after `python -m bot demo`")
        driver.get(demo.url + "?as=UDEMOANA&c=CINCIDENTS")
        assert "Playground" in driver.find_element(By.CSS_SELECTOR, ".banner").text
        say(driver, "/incident declare sev2 Checkout is down")
        wait_text(driver, ".msg:not(.ephemeral) .body", "declared")
        wait_text(driver, ".msg.ephemeral", "Only visible to you")
        wait_text(driver, ".sidebar a.nav", "inc-1-checkout-is-down")
        screenshot(driver, "playground-1-declared")

        wait_text(driver, ".sidebar a.nav", "inc-1-checkout-is-down", click=True)
        wait_text(driver, ".msg button", "Post update")
        screenshot(driver, "playground-2-war-room")
        wait_text(driver, ".msg button", "Post update", click=True)
        WebDriverWait(driver, WAIT).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, ".modal"))
        )
        fill_modal(driver)
        screenshot(driver, "playground-3-update-form")
        driver.find_element(By.CSS_SELECTOR, ".modal button[type=submit]").click()
        WebDriverWait(driver, WAIT).until_not(
            EC.presence_of_element_located((By.CSS_SELECTOR, ".modal")), "the form to close"
        )
        wait_text(driver, ".msg .body", "Rolled back the deploy")

        say(driver, "/postmortem impact Checkout failed for a fifth of buyers for 20 minutes")
        wait_text(driver, ".msg.ephemeral .body", "mpact")
        say(driver, "/postmortem draft")
        wait_text(driver, "a.file-link", "")
        screenshot(driver, "playground-4-draft")
        href = driver.find_element(By.CSS_SELECTOR, "a.file-link").get_attribute("href")
        driver.get(href)
        assert "Checkout" in driver.find_element(By.TAG_NAME, "body").text

        driver.get(demo.url + "?as=UDEMOGUS&c=CINCIDENTS")
        say(driver, "/incident declare sev1 Guests cannot declare")
        wait_text(driver, ".msg.ephemeral .body", "Guests")
        screenshot(driver, "playground-5-guest-refused")
        began = time.monotonic()
        assert demo.stop() == 0, "Ctrl-C (SIGINT) stops the playground cleanly"
        print(f"stopped {time.monotonic() - began:.1f} s after SIGINT")
