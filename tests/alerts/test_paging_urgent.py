"""`/incident page --urgent` through PagerDuty: the trigger goes with severity `critical`."""

from __future__ import annotations

from tests.alerts.test_paging import pagerduty, start  # noqa: F401 (the fixture, by name)
from tests.conftest import StartBot
from tests.support.fake_pagerduty import FakePagerDuty
from tests.support.incident_steps import declare, run


async def test_urgent_pages_pagerduty_as_critical(
    start_bot: StartBot,
    pagerduty: FakePagerDuty,  # noqa: F811 (the fixture)
) -> None:
    bot = await start(start_bot, pagerduty)
    channel = await declare(bot)
    answer = await run(bot, "page --urgent checkout the cart is down", channel)
    assert "Paging *checkout*" in answer["text"]
    [event] = await pagerduty.wait_for(lambda: pagerduty.events, what="the page")
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"].endswith("— the cart is down")
    assert event["routing_key"] == "R0CHECKOUT0000000000000000000001"
