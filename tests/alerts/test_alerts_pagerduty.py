"""PagerDuty v3 webhooks in (signed), and time to detect in the postmortem draft."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot.postmortem.metrics import human_duration
from tests.conftest import RunningBot, StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    cards_in,
    element,
    firing,
    groups,
    incidents,
    pagerduty_event,
    post_alert,
    post_pagerduty,
    wait_handled,
)
from tests.support.incident_steps import entries, posts_in
from tests.support.postmortem_helpers import ask, uploaded
from tests.support.slack_requests import load_payload


async def start(start_bot: StartBot) -> RunningBot:
    bot = await start_bot(**ALERT_SETTINGS)
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    return bot


async def test_the_signature_vector_is_accepted_and_bad_signatures_are_not(
    start_bot: StartBot,
) -> None:
    bot = await start(start_bot)
    vector = load_payload("pagerduty_v3_signature_vector.computed.json")
    raw = vector["raw_body"].encode()
    # Several signatures may be listed (secret rotation): one matching is enough.
    listed = "v1=" + "0" * 64 + "," + vector["X-PagerDuty-Signature"]
    status, reason = await post_pagerduty(bot, raw, signature=listed)
    assert (status, reason.strip()) == (200, "ignored: incident.priority_updated")
    for bad in ("v1=" + "0" * 64, "", "v0=abc", vector["X-PagerDuty-Signature"].upper()):
        status, _ = await post_alert(
            bot,
            raw,
            token=None,
            path="/alerts/pagerduty",
            headers={"X-PagerDuty-Signature": bad} if bad else {},
        )
        assert status == 401
    tampered = raw.replace(b"P1", b"P2")
    status, _ = await post_pagerduty(bot, tampered, signature=vector["X-PagerDuty-Signature"])
    assert status == 401
    status, reason = await post_pagerduty(bot, b"{oops")
    assert status == 400 and "malformed JSON" in reason
    status, reason = await post_pagerduty(bot, {"event": {"event_type": "incident.triggered"}})
    assert status == 400 and "event.data" in reason
    assert await groups(bot) == []
    assert [m for m in bot.fake.methods() if m != "auth.test"] == []


async def test_high_urgency_declares_with_the_priority_low_urgency_posts_a_card(
    start_bot: StartBot,
) -> None:
    bot = await start(start_bot)
    triggered = pagerduty_event("incident.triggered", urgency="high", priority="P1")
    for _ in range(3):  # PagerDuty retries; replicas: still one incident
        assert (await post_pagerduty(bot, triggered))[0] == 200
    await bot.fake.wait_for(lambda: bot.fake.calls_to("conversations.create"), what="war room")
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("chat.postMessage")) >= 3, what="cards")
    [incident] = await incidents(bot)
    assert (incident.title, incident.severity) == ("A little bump in the road", "sev1")
    assert incident.commander_id == ""

    acknowledged = pagerduty_event("incident.acknowledged", occurred_at="2026-01-15T10:02:00Z")
    assert (await post_pagerduty(bot, acknowledged))[0] == 200
    resolved = pagerduty_event("incident.resolved", occurred_at="2026-01-15T10:09:00Z")
    assert (await post_pagerduty(bot, resolved))[0] == 200
    channel = incident.channel_id or ""
    await bot.fake.wait_for(
        lambda: any(
            "All alerts resolved at 10:09 UTC" in p["text"] for p in posts_in(bot, channel)
        ),
        what="all resolved",
    )
    assert len(await incidents(bot)) == 1
    await wait_handled(bot)
    times = [e.occurred_at for e in await entries(bot, "alert")]
    assert times == [
        datetime(2026, 1, 15, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 15, 10, 9, tzinfo=UTC),
    ]

    low = pagerduty_event("incident.triggered", urgency="low", priority=None, incident_id="PLOW1")
    assert (await post_pagerduty(bot, low))[0] == 200
    [card] = await bot.fake.wait_for(lambda: cards_in(bot, ALERT_CHANNEL), what="triage card")
    assert element(card, "alert_declare_incident")
    assert "SEV2" in json.dumps(card["blocks"])  # no priority: sev2
    assert "acme.pagerduty.com/incidents" in json.dumps(card["blocks"])
    assert len(await incidents(bot)) == 1


async def test_time_to_detect_is_in_the_postmortem_draft(start_bot: StartBot) -> None:
    bot = await start(start_bot)
    # Seven minutes and a few seconds ago, so the sub-second part of startsAt cannot pull the
    # time to detect under seven minutes on a quick run.
    started = (datetime.now(UTC) - timedelta(minutes=7, seconds=5)).replace(microsecond=0)
    payload = firing()
    payload["alerts"][0]["startsAt"] = started.isoformat().replace("+00:00", ".123456789Z")
    assert (await post_alert(bot, payload))[0] == 200
    await bot.fake.wait_for(lambda: bot.fake.calls_to("conversations.create"), what="war room")
    await _wait_entries(bot)  # written once the war room is open
    [incident] = await incidents(bot)
    assert incident.channel_id
    await ask(bot, "draft", channel_id=incident.channel_id)
    doc = await uploaded(bot, ".md")
    expected = human_duration(incident.declared_at - started.replace(microsecond=123456))
    assert f"**Time to detect:** {expected} (from the first alert" in doc
    assert expected.startswith("7 min")


async def _wait_entries(bot: RunningBot) -> None:
    for _ in range(200):
        if await entries(bot, "alert"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no alert entry")
