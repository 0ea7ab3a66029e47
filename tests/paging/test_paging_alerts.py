"""Pages from alerts over real HTTP: an Alertmanager alert that auto-declares pages its
service's escalation policy once across two replicas (a `critical` one past quiet hours), the
triage card of a service with a policy offers "Page on-call" (a `warning` alert's page held by
quiet hours whatever its mapped severity), refusals are ephemeral, and ALERT_DEFAULT_SERVICE
names the service of an alert without a `service` label. The escalators' clocks stand at a
Berlin night (tests/paging/test_paging_quiet.py); the database and Slack are real."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.conftest import RunningBot, StartBot
from tests.paging.helpers import escalations, page_entries, pages_to, said_in, wait_for_page
from tests.paging.test_paging_quiet import CONFIG, escalator, night_ahead, notes
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    cards_in,
    element,
    firing,
    has_element,
    incidents,
    post_alert,
    second_group,
    wait_handled,
    with_severity,
)
from tests.support.incident_steps import click

# Mapped against the grain, so the urgency is seen to come from the alert's label: a critical
# alert is a SEV3 incident paged at night, a warning a SEV2 one held until the morning.
SEVERITIES = "critical=sev3,warning=sev2,info=sev4"


async def start(start_bot: StartBot, tmp_path: Path, **settings: Any) -> RunningBot:
    path = tmp_path / "sisyphus.yml"
    path.write_text(CONFIG.format(extra=""))
    bot = await start_bot(
        config_file=str(path), alert_severity_map=SEVERITIES, **{**ALERT_SETTINGS, **settings}
    )
    bot.fake.add_channel(ALERT_CHANNEL, "alerts")
    for user, tz in (("U111", "UTC"), ("U222", "Europe/Berlin"), ("U333", "America/New_York")):
        bot.fake.add_user(user, tz=tz)
    return bot


def without_service(payload: dict[str, Any]) -> dict[str, Any]:
    payload["commonLabels"].pop("service")
    for alert in payload["alerts"]:
        alert["labels"].pop("service")
    return payload


def with_service(payload: dict[str, Any], service: str) -> dict[str, Any]:
    payload["commonLabels"]["service"] = service
    for alert in payload["alerts"]:
        alert["labels"]["service"] = service
    return payload


async def test_a_critical_alert_pages_its_policy_once_across_replicas_at_night(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path)
    other = await start(start_bot, tmp_path)  # a second replica on the same database
    night, _ = night_ahead()
    for b in (bot, other):
        escalator(b).clock = lambda: night
    answers = await asyncio.gather(*(post_alert(b, firing()) for b in (bot, other, bot, other)))
    assert [status for status, _ in answers] == [200] * 4
    [page] = await wait_for_page(bot, "U222")
    [incident] = await incidents(bot)
    assert incident.severity == "sev3"  # low by severity, high by the alert: paged at night
    assert f"<#{incident.channel_id}>" in page["text"]  # the war room was open first
    await wait_handled(bot)
    for b in (bot, other, bot):
        await escalator(b).run_now()
    assert len(pages_to(bot, "U222")) == 1 and len(pages_to(other, "U222")) == 1  # one fake
    [esc] = await escalations(bot)
    assert (esc.service, esc.urgent, esc.low_urgency, esc.level) == ("checkout", True, False, 1)
    assert esc.requested_by == "UBOT"
    steps = await page_entries(bot)
    assert any("paged checkout by escalation policy payments from the alert" in e for e in steps)
    assert any("(critical: urgent)" in e for e in steps)
    assert not any("held until" in e for e in steps)
    await bot.fake.wait_for(
        lambda: any("Paged <@U222>" in t for t in said_in(bot, incident.channel_id or "")),
        what="the mention in the war room",
    )


async def test_page_oncall_on_a_triage_card_declares_and_pages_held_for_quiet_hours(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path)
    night, morning = night_ahead()
    escalator(bot).clock = lambda: night
    await post_alert(bot, with_severity(firing(), "warning"))
    await post_alert(bot, with_service(second_group(with_severity(firing(), "warning")), "search"))
    cards = await bot.fake.wait_for(
        lambda: len(cards_in(bot, ALERT_CHANNEL)) == 2 and cards_in(bot, ALERT_CHANNEL),
        what="two triage cards",
    )
    card = next(c for c in cards if "HighErrorRate" in str(c["blocks"]))
    button = element(card, "alert_page_oncall")
    assert button["text"]["text"] == "Page on-call (checkout)" and "confirm" in button
    other = next(c for c in cards if c is not card)
    assert not has_element(other, "alert_page_oncall")  # search has no escalation policy
    assert has_element(other, "alert_declare_incident")

    await bot.slack.interaction(click(bot, card, "alert_page_oncall", "U111", ALERT_CHANNEL))
    answer = await bot.fake.wait_for(
        lambda: next(
            (
                e
                for e in bot.fake.calls_to("chat.postEphemeral")
                if e["user"] == "U111" and "Paging the on-call" in e["text"]
            ),
            None,
        ),
        what="the presser told",
    )
    [incident] = await incidents(bot)
    assert f"<#{incident.channel_id}>" in answer["text"]
    assert (incident.commander_id, incident.severity) == ("U111", "sev2")
    await escalator(bot).run_now()
    [esc] = await escalations(bot)
    assert (esc.requested_by, esc.urgent, esc.low_urgency) == ("U111", False, True)
    held = "held until 09:00 Europe/Berlin (quiet hours of <@U222>)"
    assert any(held in e for e in await page_entries(bot)), await page_entries(bot)
    assert pages_to(bot, "U222") == []  # SEV2, but a warning: held
    [note] = await notes(bot)
    assert note.held_until == morning

    # Pressed again: one incident, one escalation, and the presser told where to page.
    await bot.slack.interaction(click(bot, card, "alert_page_oncall", "U333", ALERT_CHANNEL))
    refusal = await bot.fake.wait_for(
        lambda: next(
            (e for e in bot.fake.calls_to("chat.postEphemeral") if e["user"] == "U333"), None
        ),
        what="the refusal",
    )
    assert "already incident #1" in refusal["text"] and "/incident page checkout" in refusal["text"]
    assert len(await incidents(bot)) == 1 and len(await escalations(bot)) == 1

    # The morning delivers it.
    escalator(bot).clock = lambda: morning
    await escalator(bot).run_now()
    [page] = await wait_for_page(bot, "U222")
    assert "SEV2" in page["text"]


async def test_an_alert_without_a_service_label_pages_the_default_service(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path, alert_default_service="checkout")
    # The real clock: paged as soon as the war room is open, not after the 30 s grace.
    loop = asyncio.get_running_loop()
    started = loop.time()
    await post_alert(bot, without_service(firing()))
    await wait_for_page(bot, "U222", timeout=10.0)
    assert loop.time() - started < 10
    [esc] = await escalations(bot)
    assert esc.service == "checkout"


async def test_an_alert_of_a_service_without_a_policy_pages_nobody(
    start_bot: StartBot, tmp_path: Path
) -> None:
    bot = await start(start_bot, tmp_path)
    await post_alert(bot, with_service(firing(), "search"))
    await bot.fake.wait_for(lambda: len(await_incidents(bot)) == 1, what="declared")
    await wait_handled(bot)
    assert await escalations(bot) == []


def await_incidents(bot: RunningBot) -> list[str]:
    return [c["name"] for c in bot.fake.calls_to("conversations.create")]
