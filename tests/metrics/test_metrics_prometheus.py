"""The metric beside the incident, against a real Prometheus scraping an exporter whose values
the test sets (tests/support/prometheus.py): the alert's own expression on the card and in the
war room at declare, with the last hour's chart; `/incident metric` showing and adding;
refreshed with a reminder; Prometheus stopped mid-incident said once, never in the way."""

from __future__ import annotations

import json
from typing import Any

from bot.metrics.worker import MetricChecker
from tests.conftest import RunningBot, StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    cards_in,
    element,
    firing,
    incidents,
    post_alert,
    with_severity,
)
from tests.support.incident_steps import click, declare, declare_finished, posts_in, run
from tests.support.png import png_data
from tests.support.prometheus import RunningPrometheus

EXPR = "job:checkout_5xx_ratio:rate5m > 0.05"  # the payload's generatorURL's g0.expr
SERIES = "job:checkout_5xx_ratio:rate5m"


async def start(start_bot: StartBot, prom: RunningPrometheus, **overrides: Any) -> RunningBot:
    bot = await start_bot(**{**ALERT_SETTINGS, "prometheus_url": prom.url, **overrides})
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    return bot


async def seeded(prom: RunningPrometheus) -> None:
    prom.exporter.set(SERIES, 0.2, pod="checkout-a")
    prom.exporter.set(SERIES, 0.01, pod="checkout-b")
    await prom.wait_for_series(SERIES, 2)


def metric_posts(bot: RunningBot, channel: str) -> list[dict[str, Any]]:
    """The metric messages (not the card, whose line has the same icon)."""
    return [p for p in posts_in(bot, channel) if p.get("text", "").startswith("Metric")]


def _all(post: dict[str, Any]) -> str:
    return post.get("text", "") + json.dumps(post.get("blocks") or [])


def said(bot: RunningBot, channel: str, text: str) -> list[dict[str, Any]]:
    return [p for p in posts_in(bot, channel) if text in _all(p)]


async def charts(bot: RunningBot, count: int) -> list[dict[str, Any]]:
    def find() -> list[dict[str, Any]] | None:
        done = [
            u
            for u in bot.fake.uploads.values()
            if str(u.get("filename", "")).startswith("incident-") and u.get("completed")
        ]
        return done if len(done) >= count else None

    found = await bot.fake.wait_for(find, timeout=20, what=f"{count} metric chart(s)")
    return [png_data(u["content"])[1] for u in found]


def card_updates(bot: RunningBot, channel: str) -> list[str]:
    return [
        json.dumps(u["blocks"]) for u in bot.fake.calls_to("chat.update") if u["channel"] == channel
    ]


async def war_room_of_alert(bot: RunningBot) -> str:
    async def found() -> str | None:
        rows = await incidents(bot)
        return rows[0].channel_id if rows and rows[0].channel_id else None

    channel = None
    for _ in range(200):
        if channel := await found():
            break
        await bot.fake.wait_for(lambda: bot.fake.calls_to("conversations.create"), timeout=10)
    assert channel
    return channel


async def test_an_alert_declared_incident_gets_its_metric_and_chart(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    await seeded(prometheus)
    bot = await start(start_bot, prometheus)
    other = await start(start_bot, prometheus)  # a second replica on the same database
    assert (await post_alert(bot, firing()))[0] == 200
    channel = await war_room_of_alert(bot)
    [post] = await bot.fake.wait_for(
        lambda: metric_posts(bot, channel), timeout=20, what="the metric in the war room"
    )
    text = _all(post)
    # Asked of PROMETHEUS_URL, not of the alert's generatorURL host (`prometheus:9090`).
    assert "*1 series now*" in text and "checkout-a" in text and "0.2" in text
    assert "checkout-b" not in text  # 0.01 is under the threshold: not returned
    assert EXPR.replace(">", "&gt;") in text  # escaped for Slack
    for block in post["blocks"]:
        assert len(block.get("text", {}).get("text", "")) <= 3000
    # The card came first (the war room's first message), then the metric.
    first = posts_in(bot, channel)[0]
    assert "Incident #1" in first["text"]
    [chart] = await charts(bot, 1)
    [panel] = chart["panels"]
    assert panel["name"] == "m1" and panel["expr"] == SERIES  # the left side, charted
    assert panel["threshold"] == 0.05
    assert sorted(s["label"] for s in panel["series"]) == [
        f'{SERIES}{{instance="127.0.0.1:{prometheus.exporter.port}",job="exporter",pod="checkout-a"}}',
        f'{SERIES}{{instance="127.0.0.1:{prometheus.exporter.port}",job="exporter",pod="checkout-b"}}',
    ]
    assert sorted(s["legend"] for s in panel["series"]) == [
        '{pod="checkout-a"}',
        '{pod="checkout-b"}',
    ]
    assert {s["last"][0] for s in panel["series"]} == {0.2, 0.01}
    assert all(s["points"] >= 1 for s in panel["series"])  # 15 s steps: seconds of history
    # The card shows the answer (refreshed once the answer was in).
    updates = await bot.fake.wait_for(
        lambda: [u for u in card_updates(bot, channel) if "1 series now, highest 0.2" in u],
        what="the card's metric line",
    )
    assert "*Metric* at" in updates[-1]
    # Both replicas poll for checks: the one due was taken by one of them, once.
    runs = [MetricChecker.of(b.rt) for b in (bot, other)]
    assert all(r is not None for r in runs)
    seen = [r.runs for r in runs if r is not None]
    await bot.fake.wait_for(
        lambda: all(r.runs >= n + 2 for r, n in zip(runs, seen, strict=True) if r is not None),
        what="two more polls on each replica",
    )
    assert len(metric_posts(bot, channel)) == 1
    assert len(await charts(bot, 1)) == 1


async def test_incident_metric_shows_and_adds(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    await seeded(prometheus)
    prometheus.exporter.set("queue_depth", 7, queue="orders")
    await prometheus.wait_for_series("queue_depth")
    bot = await start(start_bot, prometheus)
    channel = await declare(bot)
    answer = await run(bot, "metric", channel)
    assert "no expression yet" in answer["text"]
    # Slack sends `>` as `&gt;`: unescaped before Prometheus is asked.
    answer = await run(bot, 'metric depth=queue_depth{queue="orders"} &gt; 5', channel)
    assert "Added `depth`" in answer["text"]
    [post] = await bot.fake.wait_for(lambda: metric_posts(bot, channel), timeout=20)
    assert "*`depth`*" in _all(post) and "*1 series now*" in _all(post) and " 7" in _all(post)
    [chart] = await charts(bot, 1)
    assert chart["panels"][0]["threshold"] == 5.0
    answer = await run(bot, f"metric {SERIES}", channel)  # no name: m1
    assert "Added `m1`" in answer["text"]
    await bot.fake.wait_for(lambda: len(metric_posts(bot, channel)) >= 2, timeout=20)
    # At most 10 values listed, then how many more; a section stays within Slack's limit.
    for i in range(13):
        prometheus.exporter.set("fanout", i, shard=f"shard-{i:02d}-" + "x" * 200)
    await prometheus.wait_for_series("fanout", 13)
    answer = await run(bot, "metric fanout=fanout", channel)
    assert "Added `fanout`" in answer["text"]
    posts = await bot.fake.wait_for(
        lambda: len(metric_posts(bot, channel)) >= 3 and metric_posts(bot, channel), timeout=20
    )
    [section] = [b for b in posts[2]["blocks"] if "`fanout`" in json.dumps(b)]
    listed = section["text"]["text"]
    assert "*13 series now*" in listed and "… and 3 more" in listed
    assert listed.count("\n• ") == 10 and "shard-12" in listed and "shard-02" not in listed
    assert len(listed) <= 3000
    # A bad expression is refused, with Prometheus's reason, and not stored.
    answer = await run(bot, "metric rate(up[5m]", channel)
    assert "Prometheus refuses" in answer["text"] and "bad_data" in answer["text"]
    # Shown on demand: both, with a chart.
    answer = await run(bot, "metric", channel)
    assert "Asking Prometheus about `depth`, `m1`, `fanout`" in answer["text"]
    posts = await bot.fake.wait_for(
        lambda: len(metric_posts(bot, channel)) >= 4 and metric_posts(bot, channel), timeout=20
    )
    shown = _all(posts[3])
    assert "*`depth`*" in shown and "*`m1`*" in shown and "*2 series now*" in shown
    [*_, chart] = await charts(bot, 4)
    assert [p["name"] for p in chart["panels"]] == ["depth", "m1", "fanout"]
    assert len(chart["panels"][2]["series"]) == 10  # lines drawn per panel


async def test_a_guest_cannot_add_but_may_show(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    bot = await start(start_bot, prometheus)
    channel = await declare(bot)
    bot.fake.add_user("UGUEST", is_restricted=True)
    bot.fake.channels[channel].members.add("UGUEST")
    answer = await run(bot, "metric up", channel, user="UGUEST")
    assert "Guests can follow an incident" in answer["text"]
    answer = await run(bot, "metric", channel, user="UGUEST")
    assert "no expression yet" in answer["text"]


async def test_prometheus_stopped_mid_incident_is_said_once_and_blocks_nothing(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    await seeded(prometheus)
    bot = await start(start_bot, prometheus, update_interval_seconds=1)
    assert (await post_alert(bot, firing()))[0] == 200
    channel = await war_room_of_alert(bot)
    await bot.fake.wait_for(lambda: metric_posts(bot, channel), timeout=20, what="first metric")
    await charts(bot, 1)
    # A reminder asks again: the new value in the war room, a new chart, the card refreshed.
    prometheus.exporter.set(SERIES, 0.5, pod="checkout-b")
    await prometheus.wait_for_series(f"{SERIES} > 0.4")
    await bot.fake.wait_for(
        lambda: any("*2 series now*" in _all(p) for p in metric_posts(bot, channel)),
        timeout=20,
        what="the reminder's metric",
    )

    def highest(chart: dict[str, Any]) -> float:
        return max(s["last"][0] for s in chart["panels"][0]["series"])

    for count in range(2, 20):  # a reminder's chart shows it
        if highest((await charts(bot, count))[-1]) == 0.5:
            break
    else:
        raise AssertionError("no chart showed the new value")
    await bot.fake.wait_for(
        lambda: any("2 series now, highest 0.5" in u for u in card_updates(bot, channel)),
        what="the card refreshed",
    )
    await prometheus.stop()
    # Each reminder asks again: the first after the stop says it in one line, the next not.
    await bot.fake.wait_for(
        lambda: said(bot, channel, "is unreachable (connection refused)"),
        timeout=20,
        what="Prometheus unreachable, said",
    )
    reminders = len([p for p in posts_in(bot, channel) if "status update" in p["text"].lower()])
    await bot.fake.wait_for(
        lambda: (
            len([p for p in posts_in(bot, channel) if "status update" in p["text"].lower()])
            >= reminders + 2
        ),
        timeout=20,
        what="two more reminders",
    )
    await declare_finished(bot)
    assert len(said(bot, channel, "is unreachable")) == 1
    assert any("is unreachable" in u for u in card_updates(bot, channel))
    # A declare meanwhile is answered as fast as ever; an incident without an expression
    # never asks Prometheus.
    other = await declare(bot, "Second one")
    assert not metric_posts(bot, other)
    checker = MetricChecker.of(bot.rt)
    assert checker is not None and checker.runs > 0


async def test_an_alert_added_to_an_open_incident_brings_its_expression(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    await seeded(prometheus)
    bot = await start(start_bot, prometheus)
    channel = await declare(bot)  # by a person: no expression
    assert not metric_posts(bot, channel)
    await post_alert(bot, with_severity(firing(), "warning"))  # a triage card, not a declare
    [card] = await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), what="triage card")
    payload = click(bot, card, "alert_declare_incident", "U111", ALERT_CHANNEL)
    option = next(o for o in element(card, "alert_add_to_incident")["options"])
    payload["actions"][0] = {
        "type": "static_select",
        "action_id": "alert_add_to_incident",
        "block_id": "alert_triage",
        "selected_option": option,
        "action_ts": "1.2",
    }
    await bot.slack.interaction(payload)
    [post] = await bot.fake.wait_for(lambda: metric_posts(bot, channel), timeout=20)
    assert "*`m1`* (the alert's)" in _all(post) and "*1 series now*" in _all(post)
