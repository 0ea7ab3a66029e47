"""A real browser for the web pages' tests: Debian's headless Chromium driven by Selenium through
chromium-driver (`.ci/run` installs both when missing).

`browser(width)` gives a fresh Chrome session at that window width (its own profile: no cookie
is shared between tests); `screenshot(driver, name)` keeps a PNG under SCREENSHOT_DIR
(default `test-artifacts/screenshots/`, ignored by git; CI keeps the folder as an artifact).
Selenium's calls block, so async tests call them through `asyncio.to_thread` (`in_thread`)
while the bot under test runs on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "test-artifacts/screenshots"))


def chromium_paths() -> tuple[str, str] | None:
    """The Chromium binary and its driver, or None when either is missing."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


def need_chromium() -> tuple[str, str]:
    """The paths, or the test skipped (locally) or failed (in CI, where it must be there)."""
    paths = chromium_paths()
    if paths is None:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing; .ci/run installs them")
        pytest.skip("chromium and chromium-driver are not installed (apt install them)")
    return paths


@contextmanager
def browser(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium at this window size, closed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = need_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    # Headless Chromium keeps windows at least 500 px wide: a phone's width is emulated.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str) -> Path:
    """Keep the window's picture as SCREENSHOT_DIR/<name>.png (the name made file-safe)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    path = SCREENSHOT_DIR / f"{safe}.png"
    driver.save_screenshot(str(path))
    return path


async def in_thread(call: Callable[..., T], *args: Any) -> T:
    """Run a blocking Selenium call without stopping the event loop the bot runs on."""
    return await asyncio.to_thread(call, *args)
