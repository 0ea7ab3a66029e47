"""`/incident verify --watch`: a real Prometheus watched until the expression has been quiet
for the (short) window; the verification recorded as a typed one is, with the chart; the
window restarting when the metric fires again; the watch surviving a restart and done once
with two replicas."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.metrics.watch import MetricWatcher
from storage.models.metrics import MetricWatch
from storage.models.timeline import EntryKind, TimelineEntry
from tests.conftest import RunningBot, StartBot
from tests.metrics.test_metrics_prometheus import (
    SERIES,
    card_updates,
    charts,
    metric_posts,
    said,
    start,
    war_room_of_alert,
)
from tests.support.alert_helpers import firing, post_alert
from tests.support.incident_steps import declare, run
from tests.support.process_helpers import check_block_kit, ephemerals_to, press
from tests.support.prometheus import RunningPrometheus
from tests.support.slack_requests import view_submission

VERIFIED = "verified by Prometheus: `job:checkout_5xx_ratio:rate5m &gt; 0.05` quiet for {}"


async def verifications(bot: RunningBot) -> list[TimelineEntry]:
    async with bot.rt.db.session() as session:
        stmt = select(TimelineEntry).where(TimelineEntry.kind == EntryKind.VERIFICATION)
        return list((await session.exec(stmt)).all())


async def watches(bot: RunningBot) -> list[MetricWatch]:
    async with bot.rt.db.session() as session:
        return list((await session.exec(select(MetricWatch))).all())


async def test_the_watch_verifies_after_the_window_of_quiet_and_restarts_when_it_fires(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    prometheus.exporter.set(SERIES, 0.2, pod="checkout-a")  # firing
    await prometheus.wait_for_series(SERIES)
    bot = await start(start_bot, prometheus, prometheus_watch_step_seconds=1)
    assert (await post_alert(bot, firing()))[0] == 200
    channel = await war_room_of_alert(bot)
    await bot.fake.wait_for(lambda: metric_posts(bot, channel), timeout=20)
    answer = await run(bot, "verify --watch 6s", channel)
    assert "Watching `m1`" in answer["text"] and "no series for 6 s" in answer["text"]
    await bot.fake.wait_for(lambda: said(bot, channel, "fired at"), timeout=20, what="fired")
    watcher = MetricWatcher.of(bot.rt)
    assert watcher is not None
    runs = watcher.runs
    await bot.fake.wait_for(lambda: watcher.runs >= runs + 2, timeout=10)
    assert len(said(bot, channel, "fired at")) == 1  # still firing: said once
    prometheus.exporter.set(SERIES, 0.01, pod="checkout-a")  # quiet for a few looks ...
    await prometheus.wait_for_series(SERIES + " < 0.05")
    runs = watcher.runs
    await bot.fake.wait_for(lambda: watcher.runs >= runs + 3, timeout=10)
    prometheus.exporter.set(SERIES, 0.3, pod="checkout-a")  # ... and firing again
    await bot.fake.wait_for(
        lambda: len(said(bot, channel, "fired at")) == 2, timeout=20, what="fired again"
    )
    assert not await verifications(bot)
    prometheus.exporter.set(SERIES, 0.01, pod="checkout-a")
    [done] = await bot.fake.wait_for(
        lambda: said(bot, channel, VERIFIED.format("6 s")), timeout=30, what="the verification"
    )
    assert done["text"].startswith(":white_check_mark: verified by Prometheus")
    [entry] = await verifications(bot)
    assert entry.text.startswith("verified by Prometheus: `job:checkout_5xx_ratio:rate5m > 0.05`")
    await bot.fake.wait_for(
        lambda: any("*Verified:* verified by Prometheus" in u for u in card_updates(bot, channel)),
        what="the card's verification",
    )
    [watch] = await watches(bot)
    assert watch.status == "verified"
    assert (watch.ends_at - watch.started_at).total_seconds() == 24 * 3600
    chart = next(c for c in await charts(bot, 2) if "while watched" in c["title"])
    assert chart["panels"][0]["threshold"] == 0.05
    assert len(said(bot, channel, "fired at")) == 2  # nothing more once verified


async def test_the_watch_survives_a_restart_and_runs_once_on_two_replicas(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    prometheus.exporter.set(SERIES, 0.2, pod="checkout-a")
    await prometheus.wait_for_series(SERIES)
    settings = {"prometheus_watch_step_seconds": 1}
    first = await start(start_bot, prometheus, **settings)
    assert (await post_alert(first, firing()))[0] == 200
    channel = await war_room_of_alert(first)
    await first.fake.wait_for(lambda: metric_posts(first, channel), timeout=20)
    answer = await run(first, "verify --watch 3s m1", channel)
    assert "Watching `m1`" in answer["text"]
    await first.stop()  # the replica that took the command goes away mid-watch
    prometheus.exporter.set(SERIES, 0.01, pod="checkout-a")
    second = await start(start_bot, prometheus, **settings)
    third = await start(start_bot, prometheus, **settings)
    await second.fake.wait_for(
        lambda: said(second, channel, VERIFIED.format("3 s")),
        timeout=30,
        what="the verification",
    )
    for bot in (second, third):  # a few more looks each: still once
        watcher = MetricWatcher.of(bot.rt)
        assert watcher is not None
        runs = watcher.runs
        await bot.fake.wait_for(lambda w=watcher, n=runs: w.runs >= n + 2, timeout=10)
    assert len(said(second, channel, VERIFIED.format("3 s"))) == 1
    assert len(await verifications(second)) == 1


async def test_watch_refusals(start_bot: StartBot, prometheus: RunningPrometheus) -> None:
    bot = await start(start_bot, prometheus)
    channel = await declare(bot)
    answer = await run(bot, "verify --watch 30m", channel)
    assert "no expression to watch" in answer["text"]
    answer = await run(bot, "verify --watch 30m m2", channel)
    assert "no expression named `m2`" in answer["text"]
    answer = await run(bot, "verify --watch 13h up", channel)
    assert "between 1 s and 12 h" in answer["text"]
    answer = await run(bot, "verify --watch 10m rate(up[5m]", channel)
    assert "Prometheus refuses" in answer["text"]
    answer = await run(bot, "verify --watch 10m up == 0", channel)
    assert "Watching `watch` `up == 0`" in answer["text"]


async def test_the_resolve_form_offers_the_watch(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    prometheus.exporter.set(SERIES, 0.01, pod="checkout-a")  # quiet already
    await prometheus.wait_for_series(SERIES)
    bot = await start(start_bot, prometheus)
    assert (await post_alert(bot, firing()))[0] == 200
    channel = await war_room_of_alert(bot)
    await bot.fake.wait_for(lambda: metric_posts(bot, channel), timeout=20)
    await bot.slack.interaction(press(bot, channel, "card_resolve"))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    check_block_kit(view["blocks"], limit=100)
    [offer] = [b for b in view["blocks"] if b.get("block_id") == "verify_watch"]
    [option] = offer["element"]["options"]
    assert option["text"]["text"] == "Watch m1 for 30 min of quiet, then record the verification"
    form = view_submission(
        "resolve_incident",
        {"verify_watch": {"value": {"type": "checkboxes", "selected_options": [option]}}},
        private_metadata=view["private_metadata"],
    )
    assert (await bot.slack.interaction(form)).status == 200
    [told] = await ephemerals_to(bot, "U111")
    assert "is resolved." in told["text"] and "Watching `m1`" in told["text"]
    [watch] = await watches(bot)
    assert (watch.status, watch.window_seconds, watch.requested_by) == ("watching", 1800, "U111")
    # Resolving does not stop it: it goes on looking.
    due = watch.due_at
    watcher = MetricWatcher.of(bot.rt)
    assert watcher is not None
    await watcher.run_now()
    [watch] = await watches(bot)
    assert watch.status == "watching" and watch.due_at >= due


async def test_a_person_declared_incident_offers_no_watch(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    bot = await start(start_bot, prometheus)
    channel = await declare(bot)
    await bot.slack.interaction(press(bot, channel, "card_resolve"))
    [opened] = await bot.fake.wait_for_call("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert "verify_watch" not in json.dumps(view)


async def test_prometheus_away_during_a_watch_is_said_once_and_its_return_once(
    start_bot: StartBot, prometheus: RunningPrometheus
) -> None:
    prometheus.exporter.set(SERIES, 0.2, pod="checkout-a")  # firing: the watch goes on
    await prometheus.wait_for_series(SERIES)
    bot = await start(start_bot, prometheus, prometheus_watch_step_seconds=1)
    assert (await post_alert(bot, firing()))[0] == 200
    channel = await war_room_of_alert(bot)
    await bot.fake.wait_for(lambda: metric_posts(bot, channel), timeout=20)
    await run(bot, "verify --watch 1h", channel)
    await bot.fake.wait_for(lambda: said(bot, channel, "fired at"), timeout=20, what="fired")
    await prometheus.stop()
    away = "cannot ask Prometheus"
    await bot.fake.wait_for(lambda: said(bot, channel, away), timeout=20, what="away, said")
    watcher = MetricWatcher.of(bot.rt)
    assert watcher is not None
    runs = watcher.runs
    await bot.fake.wait_for(lambda: watcher.runs >= runs + 3, timeout=20)
    assert len(said(bot, channel, away)) == 1  # not at every step
    [told] = said(bot, channel, away)
    assert "unreachable (connection refused)" in told["text"]
    await prometheus.start_again()
    back = "Prometheus answers again"
    await bot.fake.wait_for(lambda: said(bot, channel, back), timeout=30, what="back, said")
    runs = watcher.runs
    await bot.fake.wait_for(lambda: watcher.runs >= runs + 3, timeout=20)
    assert len(said(bot, channel, back)) == 1 and len(said(bot, channel, away)) == 1
    [watch] = await watches(bot)
    assert watch.status == "watching" and watch.away_since is None
