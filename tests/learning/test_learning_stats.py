"""`/incident stats`: the figures from the record, and a PNG chart whose data matches them."""

from __future__ import annotations

from datetime import timedelta

from bot.learning.stats import week_of
from storage.types import utcnow
from tests.conftest import RunningBot
from tests.support.learning_helpers import Past, command, section_texts, seed
from tests.support.png import png_data


async def seed_month(bot: RunningBot) -> dict:
    now = utcnow()
    a_at, b_at = now - timedelta(days=2), now - timedelta(days=10)
    await seed(
        bot,
        Past(
            "Database failover",
            severity="sev1",
            declared_at=a_at,
            tags="database",
            entries=[
                ("bot_message", -6, "ALERT: db primary down"),
                ("status_update", 10, "investigating"),
                ("status_update", 25, "failing over"),
                ("status_update", 50, "failed over"),
            ],
            items=[
                ("factor", "No automatic failover", "technical"),
                ("factor", "Runbook out of date", "process"),
            ],
            actions=[
                ("F1: Automate failover", "open", (now - timedelta(days=1)).date()),
                ("Review the runbook", "done"),
            ],
        ),
    )
    await seed(
        bot,
        Past(
            "Deploy broke search",
            declared_at=b_at,
            tags="database deploy",
            mitigated_after=40,
            resolved_after=120,
            items=[("factor", "Tired on-call", "human")],
            actions=[("F1: Fix rota", "open", (now + timedelta(days=9)).date())],
        ),
    )
    await seed(bot, Past("Game day", severity="sev1", drill=True, declared_at=now))
    await seed(bot, Past("Old one", severity="sev3", declared_at=now - timedelta(days=100)))
    return {"a_week": week_of(a_at), "b_week": week_of(b_at)}


async def chart_upload(bot: RunningBot, count: int = 1) -> bytes:
    def find():
        done = [
            u
            for u in bot.fake.uploads.values()
            if u.get("filename") == "incident-stats.png" and u.get("completed")
        ]
        return done[count - 1]["content"] if len(done) >= count else None

    return await bot.fake.wait_for(find, what="the stats chart")


async def test_stats_figures_and_chart_match_the_record(bot: RunningBot) -> None:
    weeks = await seed_month(bot)
    answer = await command(bot, "stats", command="/incident", user="U222")
    head, times, actions, tags, chart = section_texts(answer)
    assert head.startswith(":bar_chart: *Incidents, last 30d*: 2 incidents (SEV1 1 · SEV2 1)")
    assert "Time to detect: median 6 min, p90 6 min (1), first alert to declaration" in times
    assert "Time to mitigate: median 30 min, p90 40 min (2)" in times
    assert "Time to resolve: median 1 h 30 min, p90 2 h 00 min (2)" in times
    assert "Update cadence kept: 60% of 5 intervals had a status update on time" in times
    assert actions == (
        "*Action items*: 2 open (1 overdue), 1 done, 0 verified\n"
        "*Contributing factors with an action item*: 67% (2 of 3)"
    )
    assert tags == (
        "*Most frequent tags*: `database` 2, `deploy` 1\n"
        "*Factor kinds*: technical 1, process 1, human 1"
    )
    assert chart.startswith("*Chart*: https://example.slack.com/files/F")

    # The chart went to the requester privately, as a valid PNG of the expected size, and
    # what it drew is the record's figures.
    [opened] = bot.fake.calls_to("conversations.open")
    assert opened["users"] == "U222"
    upload = next(u for u in bot.fake.uploads.values() if u.get("filename") == "incident-stats.png")
    assert upload["channel_id"] == "D222"
    size, data = png_data(await chart_upload(bot))
    assert size == (1200, 900)
    assert data["title"] == "Incidents, last 30d (UTC)"
    by_week = {
        severity: dict(zip(data["weeks"], heights, strict=True))
        for severity, heights in data["incidents_by_week"].items()
    }
    assert sum(by_week["sev1"].values()) == 1 and by_week["sev1"][weeks["a_week"]] == 1
    assert sum(by_week["sev2"].values()) == 1 and by_week["sev2"][weeks["b_week"]] == 1
    assert set(by_week) == {"sev1", "sev2"}
    assert data["minutes"] == {
        "labels": ["detect", "mitigate", "resolve"],
        "median": [6.0, 30.0, 90.0],
        "p90": [6.0, 40.0, 120.0],
    }
    assert data["action_items"] == {"open": 2.0, "overdue": 1.0, "done": 1.0, "verified": 0.0}
    assert data["top_tags"] == {"database": 2.0, "deploy": 1.0}


async def test_stats_by_period_tag_and_drills(bot: RunningBot) -> None:
    await seed_month(bot)
    everything = section_texts(await command(bot, "stats all", command="/incident"))
    assert "all time*: 3 incidents (SEV1 1 · SEV2 1 · SEV3 1)" in everything[0]
    deploy = section_texts(await command(bot, "stats deploy 90d", command="/incident"))
    assert "last 90d, tag `deploy`*: 1 incident (SEV2 1)" in deploy[0]
    drills = section_texts(await command(bot, "stats 7d drills", command="/incident"))
    assert "last 7d, drills included*: 2 incidents (SEV1 2)" in drills[0]
    _, data = png_data(await chart_upload(bot, 3))
    assert data["title"] == "Incidents, last 7d, drills included (UTC)"
    empty = section_texts(await command(bot, "stats 7d nothing-tagged", command="/incident"))
    assert "0 incidents (none)" in empty[0]
    assert "Time to detect: no data" in empty[1]


async def test_bad_stats_arguments_and_a_failed_chart(bot: RunningBot) -> None:
    answer = await command(bot, "stats 14d", command="/incident")
    assert "I don't understand `14d`" in answer["text"]
    assert "[7d|30d|90d|365d|all]" in answer["text"]
    answer = await command(bot, "stats &lt;!channel&gt;", command="/incident")
    assert "I don't understand" in answer["text"] and "<!channel>" not in answer["text"]
    bot.fake.fail("conversations.open", error="missing_scope")
    answer = await command(bot, "stats", command="/incident")
    assert "I could not send you the chart (Slack answered `missing_scope`)" in answer["text"]
    assert "0 incidents" in answer["text"]
