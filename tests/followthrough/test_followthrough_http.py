"""The deploy gate, the waiver, and the trackers' webhooks syncing items back."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.conftest import RunningBot, StartBot
from tests.support.fake_github import FakeGitHub, github_delivery, github_signature
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
from tests.support.incident_steps import entries
from tests.support.postmortem_helpers import ask, declare_here

GATE_TOKEN = "gate-token-1234-for-tests"
HOOK_SECRET = "It's a Secret to Everybody"
JIRA_HOOK = "/webhooks/jira?secret=It's%20a%20Secret%20to%20Everybody"


async def _get(bot: RunningBot, path: str, **headers: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(bot.url + path, headers=headers) as resp:
            text = await resp.text()
            try:
                return resp.status, await resp.json(content_type=None)
            except ValueError:
                return resp.status, text


async def _post(
    bot: RunningBot, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(bot.url + path, data=body, headers=headers) as resp:
            return resp.status, await resp.text()


async def _gate(bot: RunningBot, token: str = GATE_TOKEN) -> tuple[int, Any]:
    return await _get(bot, "/api/deploy-gate", Authorization=f"Bearer {token}")


async def test_the_gate_blocks_on_an_open_p0_until_done_or_waived(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github, deploy_gate_token=GATE_TOKEN)
    assert await _gate(bot) == (200, {"blocked": False, "items": []})
    status, text = await _gate(bot, "wrong")
    assert status == 401 and "Bearer" in text and "\n" not in text.strip()
    assert (await _get(bot, "/api/deploy-gate"))[0] == 401

    await declare_here(bot, "Checkout down")
    await ask(bot, f"action P0 <@U222|bob> {due(2)} Block config deploys without a schema check")
    await ask(bot, f"action P1 <@U333|cy> {due(5)} Page on checkout 500s over 2 percent")
    await wait_ticket_state(bot, fake_github, "filed", count=2)
    status, body = await _gate(bot)
    assert status == 423
    assert body == {
        "blocked": True,
        "items": [
            {
                "incident": 1,
                "item": 1,
                "priority": "P0",
                "text": "Block config deploys without a schema check",
                "owner": "U222",
                "due": due(2),
                "ticket": "https://github.com/acme/ops/issues/1",
                "incident_title": "Checkout down",
            }
        ],
    }

    # Only the commander may waive, with a reason; only open P0s.
    assert "Only the incident's commander" in await ask(bot, "waive 1 hotfix", user_id="U999")
    assert "Say why" in await ask(bot, "waive 1")
    assert "only open P0 items block deploys" in await ask(bot, "waive 2 hotfix")
    answer = await ask(bot, "waive 1 Hotfix for the payment outage <b>now</b>")
    assert answer.startswith(":unlock: Action item #1 no longer blocks deploys")
    assert "&lt;b&gt;now&lt;/b&gt;" in answer
    assert await _gate(bot) == (200, {"blocked": False, "items": []})
    assert "already waived" in await ask(bot, "waive 1 again")
    [waiver] = [e for e in await entries(bot, "action_item") if "waived" in e.text]
    assert waiver.author_id == "U111" and "Hotfix for the payment outage" in waiver.text

    # A second P0, then done: done (even unverified) no longer blocks.
    await ask(bot, f"action P0 <@U222|bob> {due(2)} Add a canary stage for config changes")
    assert (await _gate(bot))[0] == 423
    await ask(bot, "done 3")
    assert (await _gate(bot))[0] == 200


async def test_the_gate_is_not_there_without_a_token(bot: RunningBot) -> None:
    status, text = await _gate(bot)
    assert status == 404 and "DEPLOY_GATE_TOKEN" in text


async def test_done_without_verification_asks_the_owner_and_verify_finishes_it(
    bot: RunningBot,
) -> None:
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await ask(bot, f"action P2 <@U333|cy> {due()} Page on checkout 500s over 2 percent")
    answer = await ask(bot, "done 1")
    assert "done, unverified" in answer and "<@U222>" in answer
    [dm] = await bot.fake.wait_for(
        lambda: [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == "U222"],
        what="the owner asked how it was verified",
    )
    assert "`/postmortem verify 1 <how>`" in dm["text"] and "<#C111>" in dm["text"]
    assert "Say how it was verified" in await ask(bot, "verify 1")
    answer = await ask(bot, "verify 1 the schema check <b>rejected</b> a bad config in CI")
    assert answer.startswith(":white_check_mark: Action item #1 is verified")
    assert "already verified" in await ask(bot, "done 1")
    answer = await ask(bot, "done 2 the page fired in the drill")
    assert "is verified" in answer
    listing = await ask(bot, "actions")
    assert ":white_check_mark: verified: the schema check &lt;b&gt;rejected&lt;/b&gt;" in listing
    assert ":white_check_mark: verified: the page fired in the drill" in listing
    one, two = await items(bot)
    assert (one.status, one.verified_by) == ("verified", "U111")
    assert two.status == "verified" and two.verification == "the page fired in the drill"
    texts = [e.text for e in await entries(bot, "action_item")]
    assert texts[0] == "Action item #1 marked done (unverified) by <@U111>"
    assert texts[1].startswith("Action item #1 verified by <@U111>: the schema check")


async def test_github_closing_and_reopening_an_issue_moves_its_item(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github, github_webhook_secret=HOOK_SECRET)
    await declare_here(bot)
    await ask(bot, f"action P1 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_github, "filed")

    body, headers = github_delivery(HOOK_SECRET, "issues", fake_github.issues_event(1, "closed"))
    bad = dict(headers, **{"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert (await _post(bot, "/webhooks/github", body, bad))[0] == 401
    unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    assert (await _post(bot, "/webhooks/github", body, unsigned))[0] == 401
    tampered = body.replace(b'"closed"', b'"reopened"')
    assert (await _post(bot, "/webhooks/github", tampered, headers))[0] == 401
    [item] = await items(bot)
    assert item.status == "open"

    status, text = await _post(bot, "/webhooks/github", body, headers)
    assert status == 200, text
    [item] = await items(bot)
    assert item.status == "done"
    await bot.fake.wait_for(
        lambda: [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == "U222"],
        what="the owner asked how it was verified",
    )
    [entry] = await entries(bot, "action_item")
    assert entry.text == "Action item #1 done (unverified): GitHub acme/ops#1 closed by octocat"

    body, headers = github_delivery(HOOK_SECRET, "issues", fake_github.issues_event(1, "reopened"))
    assert (await _post(bot, "/webhooks/github", body, headers))[0] == 200
    [item] = await items(bot)
    assert item.status == "open" and item.done_at is None
    texts = [e.text for e in await entries(bot, "action_item")]
    assert texts[-1] == "Action item #1 reopened: GitHub acme/ops#1 reopened by octocat"


async def test_github_webhook_refusals(start_bot: StartBot, fake_github: FakeGitHub) -> None:
    bot = await github_bot(start_bot, fake_github)
    body, headers = github_delivery(HOOK_SECRET, "ping", {"zen": "Keep it logically awesome."})
    status, text = await _post(bot, "/webhooks/github", body, headers)
    assert status == 404 and "GITHUB_WEBHOOK_SECRET" in text
    bot = await github_bot(start_bot, fake_github, github_webhook_secret=HOOK_SECRET)
    assert (await _post(bot, "/webhooks/github", body, headers)) == (200, "pong\n")
    body, headers = github_delivery(HOOK_SECRET, "issues", {})
    not_json = b"{not json"
    headers = github_delivery(HOOK_SECRET, "issues", {})[1]
    headers["X-Hub-Signature-256"] = github_signature(HOOK_SECRET, not_json)
    status, text = await _post(bot, "/webhooks/github", not_json, headers)
    assert status == 400 and text == "body is not JSON\n"
    status, text = await _post(
        bot, "/webhooks/github", body, github_delivery(HOOK_SECRET, "issues", {})[1]
    )
    assert status == 400 and "issue.number" in text
    huge = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    headers["X-Hub-Signature-256"] = github_signature(HOOK_SECRET, huge)
    status, text = await _post(bot, "/webhooks/github", huge, headers)
    assert status == 413 and "too large" in text
    # An issue that is no action item's ticket is acknowledged and ignored.
    event = {"action": "closed", "issue": {"number": 99}, "repository": {"full_name": "acme/ops"}}
    body, headers = github_delivery(HOOK_SECRET, "issues", event)
    assert await _post(bot, "/webhooks/github", body, headers) == (
        200,
        "ignored: not an action item's issue\n",
    )


async def test_jira_done_status_category_marks_the_item_done_and_back(
    start_bot: StartBot, fake_jira: FakeJira
) -> None:
    bot = await start_bot(**jira_settings(fake_jira, jira_webhook_secret=HOOK_SECRET))
    await declare_here(bot)
    await ask(bot, f"action P0 <@U222|bob> {due()} Add a schema check for config deploys")
    await wait_ticket_state(bot, fake_jira, "filed")
    body = json.dumps(fake_jira.issue_updated("OPS-1", "done")).encode()
    headers = {"Content-Type": "application/json"}
    assert (await _post(bot, "/webhooks/jira?secret=nope", body, headers))[0] == 401
    assert (await _post(bot, "/webhooks/jira", body, headers))[0] == 401
    status, text = await _post(bot, JIRA_HOOK, body, headers)
    assert status == 200, text
    [item] = await items(bot)
    assert item.status == "done"
    body = json.dumps(fake_jira.issue_updated("OPS-1", "indeterminate")).encode()
    status, _ = await _post(bot, JIRA_HOOK, body, headers)
    assert status == 200
    [item] = await items(bot)
    assert item.status == "open"
    texts = [e.text for e in await entries(bot, "action_item")]
    assert texts == [
        "Action item #1 done (unverified): Jira OPS-1 moved to Done by Ann",
        "Action item #1 reopened: Jira OPS-1 moved to In Progress by Ann",
    ]
