"""Remembered tracker deliveries are pruned after WEBHOOK_DELIVERY_RETENTION_DAYS (issue 23), by
the hourly worker on every replica at once (an idempotent DELETE), and an event older than the
retention is ignored, so forgetting a delivery never lets its replay act again."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
from sqlalchemy import update
from sqlmodel import col, select

from bot.followthrough.pruning import DeliveryPruner
from storage.models.webhooks import WebhookDelivery
from storage.types import utcnow
from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub, github_delivery
from tests.support.fake_jira import FakeJira
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    items,
    jira_fixture,  # noqa: F401
    jira_settings,
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here

SECRET = "It's a Secret to Everybody"
OLD = "ignored: the event is older than WEBHOOK_DELIVERY_RETENTION_DAYS\n"


async def _post(
    bot: RunningBot, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url + path, data=body, headers=headers) as resp:
            return resp.status, await resp.text()


async def _remembered(bot: RunningBot) -> list[WebhookDelivery]:
    async with bot.rt.db.session() as session:
        stmt = select(WebhookDelivery).order_by(col(WebhookDelivery.received_at))
        return list((await session.exec(stmt)).all())


async def _age(bot: RunningBot, key: str, days: int) -> None:
    """Set-up: as if the delivery with `key` had arrived `days` ago."""
    async with bot.rt.db.session() as session:
        await session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.key) == key)
            .values(received_at=utcnow() - timedelta(days=days))
        )


async def _ready(start_bot: StartBot, fake_github: FakeGitHub) -> tuple[RunningBot, RunningBot]:
    one = await github_bot(start_bot, fake_github, github_webhook_secret=SECRET)
    two = await github_bot(start_bot, fake_github, github_webhook_secret=SECRET)
    await declare_here(one)
    await ask(one, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(one, fake_github, "filed")
    return one, two


async def test_old_deliveries_are_pruned_by_both_replicas_at_once_and_recent_ones_kept(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    one, two = await _ready(start_bot, fake_github)
    closed, headers = github_delivery(SECRET, "issues", fake_github.issues_event(1, "closed"))
    assert (await _post(one, "/webhooks/github", closed, headers))[0] == 200
    reopened, headers = github_delivery(SECRET, "issues", fake_github.issues_event(1, "reopened"))
    assert (await _post(one, "/webhooks/github", reopened, headers))[0] == 200
    kept = await _remembered(one)
    assert len(kept) == 4  # each delivery by its id and by its body
    old = [r.key for r in kept[:2]]  # the "closed" delivery's two keys
    for key in old:
        await _age(one, key, days=31)

    pruners = [DeliveryPruner.of(one.rt), DeliveryPruner.of(two.rt)]
    assert all(pruners), "every replica runs the pruner"
    await asyncio.gather(*(p.run_now() for p in pruners if p))
    left = {r.key for r in await _remembered(one)}
    assert left == {r.key for r in kept[2:]}, "only the 31-day-old ones went"

    # The reopen is still remembered: sent again it does nothing.
    assert await _post(two, "/webhooks/github", reopened, headers) == (
        200,
        "ignored: this delivery was already handled\n",
    )


async def test_a_github_event_older_than_the_retention_is_ignored(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    one, _ = await _ready(start_bot, fake_github)
    # A "closed" delivery captured 31 days ago: its delivery may be forgotten by now.
    event = fake_github.issues_event(1, "closed")
    event["issue"]["updated_at"] = (utcnow() - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body, headers = github_delivery(SECRET, "issues", event)
    assert await _post(one, "/webhooks/github", body, headers) == (200, OLD)
    [item] = await items(one)
    assert item.status == "open"
    assert await _remembered(one) == []
    # Within the retention it acts.
    event["issue"]["updated_at"] = (utcnow() - timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body, headers = github_delivery(SECRET, "issues", event)
    assert (await _post(one, "/webhooks/github", body, headers))[0] == 200
    [item] = await items(one)
    assert item.status == "done"


async def test_a_jira_event_older_than_the_retention_is_ignored(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(
        **jira_settings(fake_jira, jira_webhook_secret=SECRET, webhook_delivery_retention_days=7)
    )
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_jira, "filed")
    event = fake_jira.issue_updated("OPS-1", "done")
    event["timestamp"] -= 8 * 24 * 3600 * 1000
    path = "/webhooks/jira?secret=It's%20a%20Secret%20to%20Everybody"
    headers = fake_jira.delivery_headers()
    assert await _post(bot, path, json.dumps(event).encode(), headers) == (200, OLD)
    [item] = await items(bot)
    assert item.status == "open"
    event["timestamp"] += 2 * 24 * 3600 * 1000  # six days old: within the retention
    status, text = await _post(bot, path, json.dumps(event).encode(), headers)
    assert status == 200 and json.loads(text)["result"], text
    [item] = await items(bot)
    assert item.status == "done"
