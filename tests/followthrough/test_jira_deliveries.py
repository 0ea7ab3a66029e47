"""Jira deliveries act once, across replicas (issue 23, as GitHub's do): a delivery is remembered
by its `X-Atlassian-Webhook-Identifier` (the same on Jira's retries) and by its body's digest;
sent again it is answered 200 and changes nothing. A new event (its own timestamp) still acts."""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp

from tests.conftest import RunningBot, StartBot
from tests.support.fake_jira import FakeJira
from tests.support.followthrough_helpers import (
    due,
    items,
    jira_fixture,  # noqa: F401
    jira_settings,
    wait_ticket_state,
)
from tests.support.incident_steps import entries
from tests.support.postmortem_helpers import ask, declare_here

SECRET = "It's a Secret to Everybody"
ALREADY = (200, "ignored: this delivery was already handled\n")


def _signed(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {**headers, "X-Hub-Signature": f"sha256={signature}"}


async def _post(bot: RunningBot, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url + "/webhooks/jira", data=body, headers=headers) as resp:
            return resp.status, await resp.text()


def _event(fake: FakeJira, category: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(fake.issue_updated("OPS-1", category)).encode()
    return body, _signed(body, fake.delivery_headers())


async def test_a_replayed_jira_done_after_a_reopen_does_not_close_the_item_again(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(**jira_settings(fake_jira, jira_webhook_secret=SECRET))
    other = await start_bot(**jira_settings(fake_jira, jira_webhook_secret=SECRET))
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_jira, "filed")

    done, done_headers = _event(fake_jira, "done")
    assert (await _post(bot, done, done_headers))[0] == 200
    reopened, headers = _event(fake_jira, "indeterminate")
    assert (await _post(bot, reopened, headers))[0] == 200
    [item] = await items(bot)
    assert item.status == "open"

    # Jira's retry of the "Done" delivery (same identifier), to the other replica: acknowledged,
    # nothing changes.
    assert await _post(other, done, done_headers) == ALREADY
    # The captured body under an identifier someone made up (the header is not signed).
    renamed = {**done_headers, "X-Atlassian-Webhook-Identifier": "made-up-1"}
    assert await _post(bot, done, renamed) == ALREADY
    [item] = await items(bot)
    assert item.status == "open"
    texts = [e.text for e in await entries(bot, "action_item")]
    assert texts == [
        "Action item #1 done (unverified): Jira OPS-1 moved to Done by Ann",
        "Action item #1 reopened: Jira OPS-1 moved to In Progress by Ann",
    ]

    # A genuine new "Done" (its own timestamp and identifier) still acts, on either replica.
    again, headers = _event(fake_jira, "done")
    assert again != done
    status, text = await _post(other, again, headers)
    assert status == 200 and json.loads(text)["result"], text
    [item] = await items(bot)
    assert item.status == "done"


async def test_a_jira_delivery_by_the_url_secret_is_remembered_too(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(**jira_settings(fake_jira, jira_webhook_secret=SECRET))
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_jira, "filed")
    body = json.dumps(fake_jira.issue_updated("OPS-1", "done")).encode()
    headers = fake_jira.delivery_headers()
    path = "/webhooks/jira?secret=It's%20a%20Secret%20to%20Everybody"
    async with aiohttp.ClientSession() as session:
        for expected in (200, 200):
            async with session.post(bot.url + path, data=body, headers=headers) as resp:
                assert resp.status == expected
                answer = await resp.text()
    assert answer == ALREADY[1]
    assert len(await entries(bot, "action_item")) == 1
