"""Two people press "Declare incident" on one alert at the same moment (issue 23): on a triage
card, and in the alert storm card's menu, sent to two replicas at once. Exactly one incident and
one war room; the one who was second is told which incident it is.

The guard these tests protect is the conditional link in bot/alerts/queries.py `link_incident`
(`UPDATE alert_group ... WHERE incident_id IS NULL`, in the incident's own transaction): both
presses pass `declare_by_person`'s early "already incident" check, because neither has committed
yet, so only the conditional UPDATE stops the second incident. Without its `incident_id IS NULL`
both presses declare (checked by removing it: two incidents, two channels).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.alerts.test_alerts_storm import choose, storm_cards
from tests.conftest import RunningBot, StartBot
from tests.support.alert_helpers import (
    ALERT_CHANNEL,
    ALERT_SETTINGS,
    cards_in,
    firing,
    groups,
    incidents,
    post_alert,
    second_group,
    wait_handled,
    with_severity,
)
from tests.support.incident_steps import click


async def _replicas(start_bot: StartBot, **overrides: Any) -> tuple[RunningBot, RunningBot]:
    one = await start_bot(**{**ALERT_SETTINGS, **overrides})
    two = await start_bot(**{**ALERT_SETTINGS, **overrides})
    one.fake.add_channel(ALERT_CHANNEL, "alerts")
    return one, two


async def _answers(bot: RunningBot, users: tuple[str, ...]) -> dict[str, str]:
    """The first ephemeral each of `users` got in the alert channel."""

    def told() -> dict[str, str] | None:
        found: dict[str, str] = {}
        for call in bot.fake.calls_to("chat.postEphemeral"):
            if call["user"] in users and call["user"] not in found:
                found[call["user"]] = call["text"]
        return found if len(found) == len(users) else None

    answers: dict[str, str] = await bot.fake.wait_for(told, timeout=20, what="both answers")
    return answers


async def _exactly_one(bot: RunningBot, answers: dict[str, str]) -> None:
    await wait_handled(bot, timeout=30)
    [incident] = await incidents(bot)
    assert incident.channel_id
    assert len(bot.fake.calls_to("conversations.create")) == 1
    winners = [u for u, text in answers.items() if "War room: <#" in text]
    assert winners == [incident.declared_by], answers
    [loser] = [u for u in answers if u != incident.declared_by]
    # "Someone was quicker: ..." (raced) or "already incident #n" (came after the commit).
    assert f"incident #{incident.id}" in answers[loser], answers
    assert incident.commander_id == incident.declared_by
    [group] = [g for g in await groups(bot) if g.incident_id is not None]
    assert group.incident_id == incident.id


async def test_two_declare_presses_on_one_triage_card_make_one_incident(
    start_bot: StartBot,
) -> None:
    one, two = await _replicas(start_bot)
    assert (await post_alert(one, with_severity(firing(), "warning")))[0] == 200
    [card] = await one.fake.wait_for(lambda: cards_in(one, ALERT_CHANNEL), what="triage card")
    first = click(one, card, "alert_declare_incident", "U111", ALERT_CHANNEL)
    second = click(one, card, "alert_declare_incident", "U222", ALERT_CHANNEL)
    await asyncio.gather(one.slack.interaction(first), two.slack.interaction(second))
    await _exactly_one(one, await _answers(one, ("U111", "U222")))


async def test_two_declare_choices_on_the_storm_card_make_one_incident(
    start_bot: StartBot,
) -> None:
    one, two = await _replicas(start_bot, alert_declares_per_minute=1)
    for n in range(3):
        payload = second_group(with_severity(firing(), "critical"), f"Storm{n}")
        assert (await post_alert(one, payload))[0] == 200
    await wait_handled(one, timeout=30)
    carded = [g for g in await groups(one) if g.storm_card]
    assert len(carded) == 2
    card = await one.fake.wait_for(
        lambda: next((c for c in storm_cards(one) if "2 alert groups" in c["text"]), None),
        timeout=10,
        what="the storm card listing both groups",
    )
    chosen = carded[0].id or 0
    await asyncio.gather(
        one.slack.interaction(choose(card, chosen, "U111")),
        two.slack.interaction(choose(card, chosen, "U222")),
    )
    answers = await _answers(one, ("U111", "U222"))
    await wait_handled(one, timeout=30)
    declared = [i for i in await incidents(one) if i.declared_by in ("U111", "U222")]
    assert len(declared) == 1, [(i.id, i.declared_by) for i in declared]
    [incident] = declared
    # The storm card's first group was declared by the bot itself (within the limit).
    assert len(one.fake.calls_to("conversations.create")) == 2
    winners = [u for u, text in answers.items() if "War room: <#" in text]
    assert winners == [incident.declared_by], answers
    [loser] = [u for u in answers if u != incident.declared_by]
    assert f"incident #{incident.id}" in answers[loser], answers
    [group] = [g for g in await groups(one) if g.id == chosen]
    assert group.incident_id == incident.id
