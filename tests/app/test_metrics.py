"""GET /metrics speaks Prometheus and counts what happened."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningBot
from tests.support.incident_steps import declare_finished


async def scrape(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as s, s.get(bot.url + "/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = await r.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_metrics_count_requests_acks_and_slack_calls(bot: RunningBot) -> None:
    before = await scrape(bot)
    await bot.slack.command("declare sev2 Counted")
    await bot.fake.wait_for_response()
    await declare_finished(bot)
    after = await scrape(bot)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("sisyphus_slack_requests_total", kind="command", status="200") == 1
    assert delta("sisyphus_ack_seconds_count", kind="command") == 1
    assert delta("sisyphus_slack_api_calls_total", method="conversations.create") == 1
    # The card in the war room, and the announcement: the bot is not yet in the broadcast
    # channel, so Slack answers not_in_channel, the bot joins and posts again.
    assert delta("sisyphus_slack_api_calls_total", method="chat.postMessage") == 3
    assert delta("sisyphus_slack_api_errors_total", method="chat.postMessage") == 1
    assert delta("sisyphus_slack_api_calls_total", method="conversations.join") == 1


async def test_metrics_count_slack_api_errors(bot: RunningBot) -> None:
    before = await scrape(bot)
    bot.fake.fail("conversations.setTopic", error="not_in_channel")
    await bot.slack.command("declare Topic fails")
    await bot.fake.wait_for_response()
    await declare_finished(bot)
    after = await scrape(bot)
    key = ("sisyphus_slack_api_errors_total", (("method", "conversations.setTopic"),))
    assert after.get(key, 0) - before.get(key, 0) == 1
